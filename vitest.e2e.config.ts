import { defineConfig } from "vitest/config";

/**
 * Browser tests: Debian's chromium driven by playwright-core against a real server and real
 * worker processes (tests/e2e). Needs `npm run build` first (the server serves
 * packages/web/dist). One file at a time: a browser and its pages are heavy on two cores.
 */
export default defineConfig({
  test: {
    include: ["tests/e2e/**/*.test.ts"],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    maxWorkers: 1,
    fileParallelism: false,
    reporters: ["default"],
  },
});
