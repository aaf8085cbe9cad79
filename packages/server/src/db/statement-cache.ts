import type BetterSqlite3 from "better-sqlite3";
import type { SqliteDatabase, SqliteStatement } from "kysely";

/** Distinct statements kept prepared; the queries of this codebase are a few hundred at most. */
const MAX_STATEMENTS = 1000;

/**
 * Kysely's SQLite driver prepares every query anew; preparing costs about as much as running a
 * short query. Queries here are built from a fixed set of shapes with bound parameters, so the
 * prepared statement for a given SQL text is kept and reused (better-sqlite3 statements may run
 * any number of times). Least recently used statements go first when the cache is full.
 */
export function withStatementCache(database: BetterSqlite3.Database): SqliteDatabase {
  const cache = new Map<string, SqliteStatement>();
  return {
    close: () => {
      cache.clear();
      database.close();
    },
    prepare(sql: string): SqliteStatement {
      let statement = cache.get(sql);
      if (statement) {
        // Map keeps insertion order: re-inserting marks it as recently used.
        cache.delete(sql);
      } else {
        statement = database.prepare(sql);
        if (cache.size >= MAX_STATEMENTS) {
          const oldest = cache.keys().next().value;
          if (oldest !== undefined) cache.delete(oldest);
        }
      }
      cache.set(sql, statement);
      return statement;
    },
  };
}
