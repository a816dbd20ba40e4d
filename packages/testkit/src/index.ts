/**
 * @sops-ts/testkit: private test helpers shared by the sops-ts packages.
 * @module
 */
export { requireTool, describeWithTool } from "./tools.js"
export type { ToolName, ToolCheck } from "./tools.js"
export { REPO_ROOT, conformanceDir, loadManifest, corpusPath, isAgeIdentity, expectedOutcome } from "./conformance.js"
export type { ConformanceVector } from "./conformance.js"
