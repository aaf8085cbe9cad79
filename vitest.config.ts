import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["tests/**/*.test.ts", "packages/*/test/**/*.test.ts"],
    // The fault-injection suite runs on its own: npm run test:faults.
    exclude: ["tests/faults/**", "**/node_modules/**"],
    // Real servers, sockets, processes and databases: give them room, but fail rather than hang.
    testTimeout: 30_000,
    hookTimeout: 30_000,
    // Two cores: files run in parallel two at a time; each test file owns its servers.
    maxWorkers: 2,
    reporters: ["default"],
  },
});
