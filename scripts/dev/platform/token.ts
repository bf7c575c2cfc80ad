/**
 * Prints a user access token signed with the local platform's key (`npm run edge -- token`).
 *
 * Run: `SUPABASE_URL=<functions base> deno run -A scripts/dev/platform/token.ts <keyPath> <userId> <email> [ttlSeconds]`
 * (the token's issuer is `{SUPABASE_URL}/auth/v1`, which the functions check).
 */
import { loadOrCreateSigningKey, mintUserJwt } from "./local-auth.ts";

const [keyPath, userId, email, ttl] = Deno.args;
if (!keyPath || !userId || !email) {
  console.error("usage: token.ts <keyPath> <userId> <email> [ttlSeconds]");
  Deno.exit(2);
}
const key = await loadOrCreateSigningKey(keyPath);
console.log(await mintUserJwt(userId, email, { key, ttlSeconds: ttl ? Number(ttl) : undefined }));
