#!/usr/bin/env node
/**
 * The `sops-ts` executable: wires the process to {@link main}.
 * @module
 */
import { main } from "./main.js"
import { quietDependencyNotices } from "./dependency-notices.js"

quietDependencyNotices(process)
const code = await main(process.argv.slice(2), {
  stdin: process.stdin,
  stdout: process.stdout,
  stderr: process.stderr,
  env: process.env,
  cwd: process.cwd(),
  inheritStdio: true,
})
process.exitCode = code
