/**
 * Database failures that are the environment's, not the request's: disk full, locked, I/O
 * error, connection lost, server shutting down. They answer 503 ("try again shortly") and,
 * since every transition is a single compare-and-set statement, leave no half-written state.
 */
export function isTransientDatabaseError(err: unknown): boolean {
  if (typeof err !== "object" || err === null || !("code" in err) || typeof err.code !== "string") return false;
  const code = err.code;
  // better-sqlite3: SQLITE_FULL, SQLITE_BUSY, SQLITE_LOCKED, SQLITE_IOERR_*, SQLITE_READONLY…
  if (/^SQLITE_(FULL|BUSY|LOCKED|IOERR|READONLY|CANTOPEN|NOMEM|PROTOCOL)/.test(code)) return true;
  // PostgreSQL SQLSTATE classes: 08 connection, 53 insufficient resources, 57 operator
  // intervention (shutdown), 40 transaction rollback (serialization, deadlock).
  if (/^(08|53|57|40)[0-9A-Z]{3}$/.test(code)) return true;
  // The socket to PostgreSQL itself.
  return ["ECONNREFUSED", "ECONNRESET", "ETIMEDOUT", "EPIPE", "ENOTFOUND"].includes(code);
}
