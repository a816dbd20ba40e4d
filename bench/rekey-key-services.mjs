// The key services of the rekey benchmark, as a module each rekey worker thread loads
// (RekeyOptions.keyServicesModule): age with no identity (the data key comes from the KMS)
// and AWS KMS against the loopback emulator, one attempt per call.
import { ageKeyService } from "@sops-ts/age"
import { awsKmsKeyService } from "@sops-ts/aws-kms"

/** @param {{ kmsUrl: string, credentials: { accessKeyId: string, secretAccessKey: string } }} o */
export function createKeyServices(o) {
  return [ageKeyService(), awsKmsKeyService({ endpoint: o.kmsUrl, credentials: o.credentials, maxAttempts: 1 })]
}
