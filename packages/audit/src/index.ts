/**
 * @sops-ts/audit: audit and monitor a GitOps repository of sops-encrypted files — inventory,
 * policy checks, drift, stale data keys, plaintext secrets, git history, reports (table, JSON,
 * SARIF, HTML) and a decryption event log (JSONL, PostgreSQL, Prometheus).
 * @module
 */
export { runAudit, exitCodeFor } from "./audit.js"
export type { AuditOptions } from "./audit.js"
export { runAuditCommand, AUDIT_USAGE, AUDIT_EXIT } from "./command.js"
export type { AuditCommandIO, AuditOutputFormat } from "./command.js"
export { SEVERITIES, FINDING_KINDS, severityRank, atLeast } from "./model.js"
export type {
  Severity,
  FindingKind,
  Finding,
  Fix,
  KeyRef,
  EncryptedInfo,
  FileClass,
  FileEntry,
  FileHistory,
  VerifyResult,
  AuditSummary,
  AuditReport,
} from "./model.js"
export { DEFAULT_POLICY, POLICY_FILE_NAME, parsePolicy, loadPolicy, policyFromObject } from "./policy.js"
export type { AuditPolicy } from "./policy.js"
export { renderTable } from "./render-table.js"
export { renderSarif } from "./render-sarif.js"
export { renderHtml } from "./render-html.js"
export { looksLikeSecret, shannonEntropy, isSecretLookingKey } from "./secrets.js"
export { sshRsaBits, pgpKeysOf } from "./rsa-keys.js"
export type { PgpKeyInfo } from "./rsa-keys.js"
export {
  startEventLog,
  jsonlSink,
  readEventLog,
  postgresSink,
  sinksFromSopsAuditConfig,
  SOPS_AUDIT_CONFIG_PATH,
  prometheusSink,
  providerOf,
  LATENCY_BUCKETS,
  PgConnection,
  parseConnectionString,
} from "./events/index.js"
export type {
  EventSink,
  EventLog,
  EventLogOptions,
  JsonlSinkOptions,
  EventLogContents,
  PostgresSinkOptions,
  MetricsSink,
  PgConnectionOptions,
  PgRow,
} from "./events/index.js"
