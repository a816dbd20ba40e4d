// `node --import ./module-log.mjs ...`: records the URL of every ES module the process loads
// into the file named by BENCH_LIST_ESM (one per line), through a module-loader hook.
import { register } from "node:module"

register("./module-log-hooks.mjs", import.meta.url, { data: { file: process.env.BENCH_LIST_ESM } })
