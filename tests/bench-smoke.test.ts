import { execFile } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { afterAll, describe, expect, it } from "vitest";

const run = promisify(execFile);
const RUNNER = fileURLToPath(new URL("../bench/run.mjs", import.meta.url));

interface Loop {
  per_second: number;
  p50_ms: number;
  p99_ms: number;
}
interface Entry {
  name: string;
  operation: string;
  status: "ok" | "failed" | "not yet built";
  result?: { sequential?: { p50_ms: number; p99_ms: number }; throughput?: Loop; chunks_per_second?: number; delivered?: number };
  ratios?: { vs_ws: number | null };
}
interface Output {
  quick: boolean;
  machine: { cores: number };
  results: Record<string, Entry>;
  targets: { target: string; figure: string; met: boolean }[];
}

const positive = (value: unknown) => typeof value === "number" && Number.isFinite(value) && value > 0;

/** The benchmark suite's smoke run: well-formed output with numbers in it, not how fast they are. */
describe("bench/run.mjs --quick", () => {
  const dir = mkdtempSync(join(tmpdir(), "wsspaces-bench-smoke-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("writes a markdown table and JSON with numeric figures for the cheap scenarios", async () => {
    const json = join(dir, "out.json");
    const { stdout } = await run(process.execPath, [RUNNER, "--quick", "--only", "ws,socketio,e2e-sqlite,stream", "--json", json], { timeout: 90_000 });

    const output = JSON.parse(readFileSync(json, "utf8")) as Output;
    expect(output.quick).toBe(true);
    expect(output.machine.cores).toBeGreaterThan(0);
    expect(Object.keys(output.results)).toEqual(["ws", "socketio", "e2e-sqlite", "stream"]);
    for (const id of ["ws", "socketio", "e2e-sqlite"]) {
      const entry = output.results[id]!;
      expect(entry.status, `${id}: ${JSON.stringify(entry)}`).toBe("ok");
      expect(entry.operation.length).toBeGreaterThan(10);
      for (const value of [entry.result?.sequential?.p50_ms, entry.result?.sequential?.p99_ms, entry.result?.throughput?.per_second, entry.result?.throughput?.p50_ms]) {
        expect(positive(value), `${id}: ${JSON.stringify(entry.result)}`).toBe(true);
      }
    }
    expect(positive(output.results["e2e-sqlite"]!.ratios?.vs_ws)).toBe(true);
    expect(output.results.stream!.status).toBe("ok");
    expect(positive(output.results.stream!.result?.chunks_per_second)).toBe(true);
    expect(output.targets.map((t) => t.target)).toEqual(expect.arrayContaining(["E2E SQLite ≥ 5,000 req/s at 64 in flight", "Stream relay ≥ 100,000 chunks/s"]));
    for (const t of output.targets) expect(typeof t.met).toBe("boolean");

    // The markdown: the round-trip table with a numeric row per scenario, and the targets.
    const rows = stdout.split("\n").filter((line) => line.startsWith("| "));
    const row = (name: string) => rows.find((line) => line.startsWith(`| ${name} |`))?.split("|").map((cell) => cell.trim());
    for (const name of ["Raw ws echo", "Socket.IO echo", "1. End-to-end, SQLite"]) {
      const cells = row(name);
      expect(cells, name).toBeDefined();
      // | name | operation | seq p50 | seq p99 | ops/s | …
      for (const cell of cells!.slice(3, 6)) expect(Number(cell), `${name}: ${cell}`).toBeGreaterThan(0);
    }
    expect(stdout).toMatch(/\| Stream relay ≥ 100,000 chunks\/s \| \d+ chunks\/s \| (met|\*\*not met\*\*) \|/);
  }, 120_000);
});
