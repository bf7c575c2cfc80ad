/**
 * The functions server of `npm start` (Deno): functions-server.ts with the signing key kept
 * in the platform's data directory, on a fixed port, printing `ready <url>` once it listens.
 *
 * Run: `deno run -A --config supabase/functions/deno.json scripts/dev/platform-functions.ts <port> <keyPath>`
 * (env as the functions expect it: SUPABASE_DB_URL, EDGE_ADMIN_URL, …; see scripts/start.mjs).
 */
import { startFunctionsServer } from "./functions-server.ts";
import { loadOrCreateSigningKey } from "./local-auth.ts";

const [port, keyPath] = Deno.args;
if (!port || !keyPath) {
  console.error("usage: platform-functions.ts <port> <keyPath>");
  Deno.exit(2);
}
const server = await startFunctionsServer({ port: Number(port), signingKey: await loadOrCreateSigningKey(keyPath) });
console.log(`ready ${server.url} (${server.functions.join(", ")})`);
