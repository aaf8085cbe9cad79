// Spawning bench helper processes that announce readiness with one JSON line on stdout.
import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";

/** Runs `node bench/<script> ...args`, resolves with { child, info } once it prints a JSON line. */
export function startHelper(script, args = [], env = {}) {
  const path = fileURLToPath(new URL(`../${script}`, import.meta.url));
  const child = spawn(process.execPath, [path, ...args], { env: { ...process.env, ...env }, stdio: ["ignore", "pipe", "inherit"] });
  return new Promise((resolve, reject) => {
    let buffer = "";
    child.stdout.on("data", (d) => {
      buffer += d;
      const line = buffer.split("\n").find((l) => l.startsWith("{"));
      if (line) {
        child.stdout.removeAllListeners("data");
        child.stdout.resume();
        resolve({
          child,
          info: JSON.parse(line),
          stop: () => new Promise((done) => {
            if (child.exitCode !== null) return done();
            child.once("exit", () => done());
            child.kill("SIGTERM");
          }),
        });
      }
    });
    child.on("error", reject);
    child.on("exit", (code) => reject(new Error(`${script} exited ${code} before it was ready`)));
  });
}
