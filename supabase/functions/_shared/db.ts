/**
 * The functions' database pool (postgres.js over env SUPABASE_DB_URL), created
 * on first use. prepare:false because named prepared statements break behind
 * Supabase's transaction pooler and on the local PGlite multiplexer alike.
 */
import postgres from "postgres";

export type Sql = postgres.Sql;

let pool: { url: string; sql: Sql } | null = null;

export function getDb(): Sql {
  const url = Deno.env.get("SUPABASE_DB_URL");
  if (!url) throw new Error("SUPABASE_DB_URL is not set");
  if (pool?.url !== url) {
    pool = {
      url,
      sql: postgres(url, {
        prepare: false,
        max: Number(Deno.env.get("DB_POOL_MAX") ?? 4),
        idle_timeout: 20,
        onnotice: () => {},
      }),
    };
  }
  return pool.sql;
}

/** Ends the pool (tests, shutdown); the next getDb() opens a fresh one. */
export async function closeDb(): Promise<void> {
  const current = pool;
  pool = null;
  await current?.sql.end({ timeout: 5 });
}

/** Socket-level failures of postgres.js and its own connection errors. */
const UNREACHABLE_CODES = new Set([
  "ECONNREFUSED", "ECONNRESET", "ETIMEDOUT", "EPIPE", "EHOSTUNREACH",
  "CONNECTION_CLOSED", "CONNECTION_ENDED", "CONNECTION_DESTROYED", "CONNECT_TIMEOUT",
]);

/**
 * Whether `error` says the database is not there (down, restarting, unreachable) rather than
 * that a query failed: those and SQLSTATE classes 08 (connection exception) and 57P
 * (shutdown, cannot connect now). The pool reconnects on the next call once it is back.
 */
export function isDatabaseUnavailable(error: unknown): boolean {
  const code = typeof error === "object" && error !== null ? (error as { code?: unknown }).code : undefined;
  return typeof code === "string" && (UNREACHABLE_CODES.has(code) || code.startsWith("08") || code.startsWith("57P"));
}
