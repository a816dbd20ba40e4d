/**
 * Event-log sinks (JSONL, PostgreSQL, Prometheus) for core's operation events.
 * @module
 */
export { startEventLog } from "./sink.js"
export type { EventSink, EventLog, EventLogOptions } from "./sink.js"
export { jsonlSink, readEventLog } from "./jsonl-sink.js"
export type { JsonlSinkOptions, EventLogContents } from "./jsonl-sink.js"
export { postgresSink, sinksFromSopsAuditConfig, SOPS_AUDIT_CONFIG_PATH } from "./postgres-sink.js"
export type { PostgresSinkOptions } from "./postgres-sink.js"
export { prometheusSink, providerOf, LATENCY_BUCKETS } from "./prometheus.js"
export type { MetricsSink } from "./prometheus.js"
export { PgConnection, parseConnectionString } from "./pg-wire.js"
export type { PgConnectionOptions, PgRow } from "./pg-wire.js"
