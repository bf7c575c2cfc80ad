/**
 * The functions server of `npm start` (Deno): functions-server.ts with the signing key kept
 * in the platform's data directory, on a fixed port, plus the local stand-in of the outbox
 * cron job (edge-sync.ts startOutboxTimer: queued config changes reach the edge within
 * seconds). Prints `ready <url>` once it listens.
 *
 * Run: `deno run -A --config supabase/functions/deno.json scripts/dev/platform/functions.ts <port> <keyPath>`
 * (env as the functions expect it: SUPABASE_DB_URL, EDGE_ADMIN_URL, …; see scripts/dev/platform/index.mjs).
 */
import { getDb } from "../../../supabase/functions/_shared/db.ts";
import { edgeAdminFromEnv } from "../../../supabase/functions/_shared/edge-admin.ts";
import { startOutboxTimer } from "../../../supabase/functions/_local/outbox-timer.ts";
import { startFunctionsServer } from "./functions-server.ts";
import { loadOrCreateSigningKey } from "./local-auth.ts";

const OUTBOX_INTERVAL_MS = 5_000;

const [port, keyPath] = Deno.args;
if (!port || !keyPath) {
  console.error("usage: functions.ts <port> <keyPath>");
  Deno.exit(2);
}
const server = await startFunctionsServer({ port: Number(port), signingKey: await loadOrCreateSigningKey(keyPath) });
startOutboxTimer(getDb, edgeAdminFromEnv, OUTBOX_INTERVAL_MS);
console.log(`ready ${server.url} (${server.functions.join(", ")}; outbox every ${OUTBOX_INTERVAL_MS / 1000}s)`);
