/**
 * GCP KMS resource ids: the one shape sops accepts.
 * @module
 */

/** The crypto-key resource id pattern sops checks before every call. */
export const GCP_KMS_RESOURCE_ID_PATTERN = /^projects\/[^/]+\/locations\/[^/]+\/keyRings\/[^/]+\/cryptoKeys\/[^/]+$/

/**
 * Whether `id` names a Cloud KMS crypto key (`projects/P/locations/L/keyRings/R/cryptoKeys/K`).
 * A key *version* suffix is not accepted: symmetric encryption always uses the primary version.
 */
export function isGcpKmsResourceId(id: string): boolean {
  return GCP_KMS_RESOURCE_ID_PATTERN.test(id)
}
