/**
 * The gRPC status codes this package uses, as plain numbers so that classifying an error does
 * not require loading `@grpc/grpc-js` (values from the gRPC specification).
 * @module
 */

/** gRPC status codes (subset). */
export const GrpcStatus = {
  OK: 0,
  CANCELLED: 1,
  UNKNOWN: 2,
  DEADLINE_EXCEEDED: 4,
  NOT_FOUND: 5,
  PERMISSION_DENIED: 7,
  RESOURCE_EXHAUSTED: 8,
  UNIMPLEMENTED: 12,
  INTERNAL: 13,
  UNAVAILABLE: 14,
} as const

/** A gRPC error as grpc-js reports it: `code` and the server's `details`. */
export interface GrpcErrorLike {
  readonly code: number
  readonly details: string
}

/** True for errors carrying a gRPC status. */
export function isGrpcError(err: unknown): err is GrpcErrorLike & Error {
  return err instanceof Error && typeof (err as { code?: unknown }).code === "number" && typeof (err as { details?: unknown }).details === "string"
}
