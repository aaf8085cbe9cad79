import { spawn, type ChildProcess } from "node:child_process";
import { fileURLToPath } from "node:url";
import { createInterface } from "node:readline";

export const CLI = fileURLToPath(new URL("../../bin/wsspaces.js", import.meta.url));

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs `wsspaces <args>` to completion. */
export function runCli(args: string[], env: NodeJS.ProcessEnv = {}): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], { env: { ...process.env, ...env }, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    child.on("error", reject);
    child.on("close", (code) => resolve({ code, stdout, stderr }));
  });
}

/** A long-running child process whose output lines can be awaited. */
export class Proc {
  readonly lines: string[] = [];
  private readonly listeners = new Set<(line: string) => void>();
  readonly exited: Promise<number | null>;

  constructor(readonly child: ChildProcess) {
    for (const stream of [child.stdout, child.stderr]) {
      if (!stream) continue;
      createInterface({ input: stream }).on("line", (line) => {
        this.lines.push(line);
        if (process.env.WSSPACES_TEST_LOG) console.log(`[${child.pid}] ${line}`);
        for (const listener of this.listeners) listener(line);
      });
    }
    this.exited = new Promise((resolve) => child.once("exit", (code, signal) => resolve(code ?? (signal ? -1 : null))));
  }

  /** The first line (already printed or still to come) that matches. */
  waitForLine(pattern: RegExp, timeoutMs = 20_000): Promise<RegExpMatchArray> {
    for (const line of this.lines) {
      const match = line.match(pattern);
      if (match) return Promise.resolve(match);
    }
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.listeners.delete(listener);
        reject(new Error(`no line matching ${pattern} within ${timeoutMs} ms; output so far:\n${this.lines.slice(-30).join("\n")}`));
      }, timeoutMs);
      const listener = (line: string) => {
        const match = line.match(pattern);
        if (!match) return;
        clearTimeout(timer);
        this.listeners.delete(listener);
        resolve(match);
      };
      this.listeners.add(listener);
      void this.exited.then(() => {
        if (!this.listeners.has(listener)) return;
        clearTimeout(timer);
        this.listeners.delete(listener);
        reject(new Error(`process exited before printing ${pattern}; output:\n${this.lines.slice(-30).join("\n")}`));
      });
    });
  }

  kill(signal: NodeJS.Signals = "SIGKILL"): Promise<number | null> {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill(signal);
    return this.exited;
  }
}

export function spawnCli(args: string[], env: NodeJS.ProcessEnv = {}): Proc {
  return new Proc(spawn(process.execPath, [CLI, ...args], { env: { ...process.env, NO_COLOR: "1", ...env }, stdio: ["ignore", "pipe", "pipe"] }));
}

export function spawnProcess(command: string, args: string[], env: NodeJS.ProcessEnv = {}): Proc {
  return new Proc(spawn(command, args, { env: { ...process.env, ...env }, stdio: ["ignore", "pipe", "pipe"] }));
}

/** Starts `wsspaces serve --port 0` and resolves with its URL once it listens. */
export async function spawnServer(dataDir: string, env: NodeJS.ProcessEnv = {}): Promise<{ proc: Proc; url: string }> {
  const proc = spawnCli(["serve", "--port", "0", "--data", dataDir, "--log-level", "info"], env);
  const match = await proc.waitForLine(/"url":"(http:\/\/[^"]+)"/);
  return { proc, url: match[1]! };
}
