import { execFile } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { afterAll, describe, expect, it } from "vitest";

const run = promisify(execFile);
const RUNNER = fileURLToPath(new URL("../bench/run.mjs", import.meta.url));

interface FilesResult {
  file_mib: number;
  input_intact: boolean;
  output_intact: boolean;
  rss_rest_mib: number;
  rss_peak_mib: number;
  rss_growth_mib: number;
  user_upload_mb_s: number;
}

/**
 * A 1 GiB upload and a 1 GiB worker output through a real `wsspaces serve` process (bench
 * scenario 5): the bytes arrive intact and the server's memory stays flat — files are streamed,
 * never held whole. Speeds are printed, not asserted (they belong to `npm run bench`).
 */
describe("1 GiB files", () => {
  const dir = mkdtempSync(join(tmpdir(), "wsspaces-files-large-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("passes a 1 GiB upload and a 1 GiB output with the server's RSS growing by less than 100 MiB", async () => {
    const json = join(dir, "files.json");
    const { stdout } = await run(process.execPath, [RUNNER, "--only", "files", "--file-mib", "1024", "--json", json], { timeout: 170_000 });
    const output = JSON.parse(readFileSync(json, "utf8")) as { results: { files: { status: string; error?: string; result?: FilesResult } } };
    const files = output.results.files;
    expect(files.status, files.error).toBe("ok");
    const result = files.result as FilesResult;
    console.log(stdout.split("\n").find((line) => line.startsWith("| 5. Files")));
    expect(result.file_mib).toBe(1024);
    expect(result.input_intact).toBe(true);
    expect(result.output_intact).toBe(true);
    expect(result.rss_growth_mib).toBeLessThan(100);
  }, 180_000);
});
