/**
 * The provider-package entry point the CLI calls.
 * @module
 */
import { azureKeyVaultKeyService, type AzureKeyVaultKeyService } from "./key-service.js"

/**
 * An Azure Key Vault key service with sops' credentials: `DefaultAzureCredential`, which
 * reads `AZURE_*` variables (`AZURE_TENANT_ID`, `AZURE_CLIENT_ID`, `AZURE_CLIENT_SECRET`,
 * `AZURE_FEDERATED_TOKEN_FILE`, …), managed identity and the Azure CLI login itself.
 *
 * `env` is accepted for the common provider contract; the Azure SDK reads `process.env`
 * directly, so pass a `credential` to {@link azureKeyVaultKeyService} to control it.
 */
export function keyServiceFromEnv(_env: Readonly<Record<string, string | undefined>>): AzureKeyVaultKeyService {
  return azureKeyVaultKeyService()
}
