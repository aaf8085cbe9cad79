import { defineConfig } from "vitest/config";

/** The fault-injection suite: one long test with real processes; see tests/faults/. */
export default defineConfig({
  test: {
    include: ["tests/faults/**/*.test.ts"],
    testTimeout: 360_000,
    hookTimeout: 60_000,
    maxWorkers: 1,
  },
});
