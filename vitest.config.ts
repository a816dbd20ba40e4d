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
    ],
  },
  test: {
    include: ["packages/*/test/**/*.test.ts", "examples/**/*.test.ts"],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: "forks",
  },
})
