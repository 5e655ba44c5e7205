#!/usr/bin/env node
// The `fastmcp-auth` command line (package.json "bin"): derive-key, mint, verify, explain,
// inspect. Only wires the process to runCli; not part of the library's exports.
import { processIo } from './cli/io.js'
import { runCli } from './cli/run.js'

// no top-level await: runCli never rejects, and the exit code is set, not forced, so
// piped output is flushed before the process ends
void runCli(process.argv.slice(2), processIo()).then((code) => {
  process.exitCode = code
})
