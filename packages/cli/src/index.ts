/**
 * @sops-ts/cli: the `sops-ts` command line, callable in-process.
 * @module
 */
export { main } from "./main.js"
export type { CliIo, CliWritable } from "./io.js"
export { ExitCode, exitCodeFor, CliError } from "./exit-codes.js"
export { buildKeyServices, lazyKeyService, PROVIDER_PACKAGES } from "./providers.js"
export type { KeyServicesOptions, Importer } from "./providers.js"
export { bashCompletion, zshCompletion } from "./completion.js"
export { renderCliReference, HELP_INVOCATIONS } from "./reference.js"
export type { HelpRunner } from "./reference.js"
