import { availableParallelism } from "node:os"
import { defineConfig } from "vitest/config"

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // Each worker loads effect and the generated operations once, not once per file: loading them was most of a
    // small file's time. The files keep no state in shared modules (each builds its own emulator, metrics registry
    // and temporary folders), so they can share a module cache.
    isolate: false,
    // Vitest's default (cores − 1) is one worker on two cores, and much of the suite waits on sockets, child
    // processes and timers rather than the CPU: three workers keep both cores busy.
    maxWorkers: Math.max(3, availableParallelism() - 1),
    // Counts the tests that use a real socket (see the file) when SOCKET_RUNS_LOG names an output file.
    setupFiles: process.env.SOCKET_RUNS_LOG === undefined ? [] : ["test/support/socketRuns.ts"]
  }
})
