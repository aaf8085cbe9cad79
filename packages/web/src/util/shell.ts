/** Quotes a value for a POSIX shell command line (only when it needs it). */
export function shellQuote(value: string): string {
  if (/^[A-Za-z0-9_@%+=:,./-]+$/.test(value)) return value;
  return `'${value.replace(/'/g, `'\\''`)}'`;
}

/** The command that connects a mock worker to a space (docs/cli.md, `wsspaces worker`). */
export function workerCommand(origin: string, spaceName: string, token: string | null): string {
  const parts = ["npx wsspaces worker", "--server", shellQuote(origin)];
  if (token !== null) parts.push("--token", shellQuote(token));
  parts.push("--space", shellQuote(spaceName), "--mock");
  return parts.join(" ");
}
