import { fileURLToPath } from "node:url"
import { defineConfig } from "vitest/config"

const src = (pkg: string): string => fileURLToPath(new URL(`./packages/${pkg}/src/index.ts`, import.meta.url))

export default defineConfig({
  resolve: {
    // Tests run against the TypeScript sources; the CLI process tests run the built bin.
    alias: [
      { find: /^@sops-ts\/core$/, replacement: src("core") },
      { find: /^@sops-ts\/age$/, replacement: src("age") },
      { find: /^@sops-ts\/pgp$/, replacement: src("pgp") },
      { find: /^@sops-ts\/testkit$/, replacement: src("testkit") },
      { find: /^@sops-ts\/aws-kms$/, replacement: src("aws-kms") },
      { find: /^@sops-ts\/gcp-kms$/, replacement: src("gcp-kms") },
      { find: /^@sops-ts\/azure-kv$/, replacement: src("azure-kv") },
      { find: /^@sops-ts\/hc-vault$/, replacement: src("hc-vault") },
      { find: /^@sops-ts\/keyservice$/, replacement: src("keyservice") },
      { find: /^@sops-ts\/rekey$/, replacement: src("rekey") },
      { find: /^@sops-ts\/audit$/, replacement: src("audit") },
    ],
  },
  test: {
    include: ["packages/*/test/**/*.test.ts", "examples/**/*.test.ts"],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: "forks",
    reporters: ["default", "./tools/summary-reporter.ts"],
  },
})
