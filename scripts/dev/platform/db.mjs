#!/usr/bin/env node
// Local database for the control plane: DATABASE_URL when set (a real
// PostgreSQL), else an embedded PGlite served over TCP. `migrate(url)` applies
// supabase/migrations in file-name order, each once, recorded like the
// Supabase CLI does in supabase_migrations.schema_migrations.
//
//   node scripts/dev/platform/db.mjs [--data-dir DIR] [--port N]   start, migrate, print the URL
import { readdir, readFile } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import { dirname, join } from "node:path";
import postgres from "postgres";
import { ProtocolUnitQueue } from "./pglite-protocol-queue.mjs";

const MIGRATIONS_DIR = join(dirname(fileURLToPath(import.meta.url)), "../../../supabase/migrations");
const MIGRATION_FILE_RE = /^(\d{14})_([a-z0-9_]+)\.sql$/;
/** Clients the PGlite socket server multiplexes onto its one backend. */
export const PGLITE_MAX_CONNECTIONS = 32;

/** @returns {Promise<{ url: string, embedded: boolean, close: () => Promise<void> }>} */
export async function startDatabase({ dataDir, port = 0 } = {}) {
  if (process.env.DATABASE_URL) {
    return { url: process.env.DATABASE_URL, embedded: false, close: async () => {} };
  }
  const { PGlite } = await import("@electric-sql/pglite");
  const { PGLiteSocketServer } = await import("@electric-sql/pglite-socket");
  const db = await PGlite.create(dataDir ? { dataDir } : {});
  const server = new PGLiteSocketServer({ db, host: "127.0.0.1", port, maxConnections: PGLITE_MAX_CONNECTIONS });
  // pinned pglite-socket 0.2.17 takes its queue from this field for each new connection
  server.queryQueue = new ProtocolUnitQueue(db);
  await server.start();
  const url = `postgres://postgres:postgres@${server.getServerConn()}/postgres`;
  return {
    url,
    embedded: true,
    close: async () => {
      await server.stop();
      await db.close();
    },
  };
}

/** Applies pending migrations; returns the versions applied now. */
export async function migrate(url) {
  // prepare:false: named statements would collide on PGlite's shared backend
  const sql = postgres(url, { max: 1, prepare: false, onnotice: () => {} });
  try {
    await sql.unsafe(`
      create schema if not exists supabase_migrations;
      create table if not exists supabase_migrations.schema_migrations (
        version text primary key, name text not null, applied_at timestamptz not null default now())`);
    const done = new Set((await sql`select version from supabase_migrations.schema_migrations`).map((r) => r.version));
    const applied = [];
    for (const file of await migrationFiles()) {
      const [, version, name] = file.match(MIGRATION_FILE_RE);
      if (done.has(version)) continue;
      const text = await readFile(join(MIGRATIONS_DIR, file), "utf8");
      await sql.begin(async (tx) => {
        await tx.unsafe(text);
        await tx`insert into supabase_migrations.schema_migrations (version, name) values (${version}, ${name})`;
      }).catch((error) => {
        throw new Error(`migration ${file} failed: ${error.message}`, { cause: error });
      });
      applied.push(version);
    }
    return applied;
  } finally {
    await sql.end();
  }
}

async function migrationFiles() {
  const files = (await readdir(MIGRATIONS_DIR)).filter((f) => f.endsWith(".sql")).sort();
  const bad = files.filter((f) => !MIGRATION_FILE_RE.test(f));
  if (bad.length) throw new Error(`migration files must be named <14 digits>_<name>.sql: ${bad.join(", ")}`);
  return files;
}

function parseArgs(argv) {
  const options = {};
  for (let i = 0; i < argv.length; i += 2) {
    if (argv[i] === "--data-dir") options.dataDir = argv[i + 1];
    else if (argv[i] === "--port") options.port = Number(argv[i + 1]);
    else throw new Error(`unknown argument ${argv[i]} (use --data-dir DIR, --port N)`);
  }
  return options;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const db = await startDatabase(parseArgs(process.argv.slice(2)));
  const applied = await migrate(db.url);
  console.log(`applied ${applied.length} migration(s)`);
  console.log(db.url);
  if (!db.embedded) process.exit(0);
  const stop = async () => {
    await db.close();
    process.exit(0);
  };
  process.on("SIGINT", stop);
  process.on("SIGTERM", stop);
}
