// An app that decrypts its secrets once at startup.
//
// Run: SOPS_AGE_KEY_FILE=examples/demo/age-key.txt node examples/app-startup/main.mjs
//
// Identities are discovered the way sops finds them (SOPS_AGE_KEY, SOPS_AGE_KEY_FILE,
// SOPS_AGE_KEY_CMD, ~/.config/sops/age/keys.txt); only the age provider is loaded, so no
// cloud SDK is imported.
import { fileURLToPath } from "node:url"
import { loadSecrets, loadSecretsIntoEnv } from "@sops-ts/core"
import { ageKeyService } from "@sops-ts/age"

const file = fileURLToPath(new URL("../demo/secrets.enc.yaml", import.meta.url))
const keyServices = [ageKeyService({ discover: true })]

// 1. A typed object (pass `validate` to check it, e.g. with a schema library).
const config = await loadSecrets(file, {
  keyServices,
  validate(value) {
    if (typeof value?.database?.password !== "string") throw new Error("config: database.password missing")
    return value
  },
})
console.log(`database user: ${config.database.user} (password has ${config.database.password.length} characters)`)

// 2. Or flat values into process.env, as `sops exec-env` does (nested values are refused,
// so this demo file, which nests, shows the error instead).
try {
  await loadSecretsIntoEnv(file, { keyServices })
} catch (err) {
  console.log(`loadSecretsIntoEnv: ${err.code}: ${err.message}`)
}
