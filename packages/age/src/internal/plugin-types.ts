/**
 * Public types of the age plugin support: what a plugin may ask the user, how the caller
 * answers, and how plugin processes are run.
 * @module
 */

/**
 * A request from an age plugin to the user, as the protocol defines them (`msg`, `confirm`,
 * `request-public`, `request-secret`). `plugin` is the plugin name (`yubikey` for
 * `age-plugin-yubikey`). The texts come from the plugin: show them, do not interpret them.
 */
export type AgePluginPrompt =
  | { readonly type: "msg"; readonly plugin: string; readonly message: string }
  | {
      readonly type: "confirm"
      readonly plugin: string
      readonly message: string
      /** The label of the "yes" choice. */
      readonly yes: string
      /** The label of the "no" choice, when the plugin offers one. */
      readonly no: string | undefined
    }
  | { readonly type: "request-public"; readonly plugin: string; readonly message: string }
  | { readonly type: "request-secret"; readonly plugin: string; readonly message: string }

/** What an {@link AgePluginPromptHandler} returns; see there. */
export type AgePluginAnswer = string | boolean | null | undefined | void

/**
 * Answers plugin prompts. Return, per prompt type:
 * - `msg`: nothing once the message is shown, or `false`/`null` when it could not be;
 * - `confirm`: `true` for the "yes" choice, `false` for "no";
 * - `request-public` / `request-secret`: the text the user entered.
 *
 * Throwing, or any other answer (e.g. `undefined` to a `request-secret`), tells the plugin
 * the request failed (`fail`); the plugin then decides whether it can go on. Without a
 * handler every prompt fails, so a plugin that needs a PIN reports an error.
 */
export type AgePluginPromptHandler = (prompt: AgePluginPrompt) => AgePluginAnswer | Promise<AgePluginAnswer>

/** How plugin processes are run. @internal */
export interface PluginRunOptions {
  /** The environment of the plugin process; its `PATH` is where the binary is looked for. */
  readonly env: Readonly<Record<string, string | undefined>>
  /** Overrides `env.PATH` for finding the binary (a `PATH`-style list of absolute directories). */
  readonly searchPath?: string | undefined
  /** Time the plugin may take, not counting time spent in `onPrompt`. */
  readonly timeoutMs: number
  readonly onPrompt?: AgePluginPromptHandler | undefined
  /** Receives each line the plugin writes to stderr. */
  readonly log?: ((plugin: string, line: string) => void) | undefined
  readonly signal?: AbortSignal | undefined
}

/** Default of {@link PluginRunOptions.timeoutMs}: one minute. */
export const DEFAULT_PLUGIN_TIMEOUT_MS = 60_000
