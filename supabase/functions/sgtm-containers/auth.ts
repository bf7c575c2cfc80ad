/**
 * Who is calling: a signed-in user (Supabase access token). Service-role and
 * edge callers are recognised by http.ts (`isServiceRoleCaller`, `isEdgeCaller`).
 *
 * User tokens are verified by supabase-js `auth.getClaims(jwt)`: for an
 * asymmetric token (ES256/RS256 with a `kid`) it checks `exp`, fetches
 * `{SUPABASE_URL}/auth/v1/.well-known/jwks.json` (cached per process for 10
 * minutes, refetched when an unknown `kid` appears) and verifies the signature
 * with WebCrypto; for a symmetric (HS256) token it asks the Auth server
 * (`/auth/v1/user`) instead. getClaims does not look at `role` or `sub`, so we
 * require a signed-in user's token (`role: authenticated`, uuid `sub`): an
 * anon or service-role JWT is not a user.
 */
import { createClient, type SupabaseClient } from "@supabase/supabase-js";
import { UUID_RE } from "../../../src/shared/ids.ts";
import { bearerToken } from "../../../src/shared/secrets.ts";
import { unauthorized } from "../_shared/http.ts";

let cachedClient: { url: string; key: string; client: SupabaseClient } | undefined;

/** One client per (url, key): its JWKS cache is what keeps verification local. */
function authClient(): SupabaseClient {
  const url = requiredEnv("SUPABASE_URL");
  const key = requiredEnv("SUPABASE_ANON_KEY");
  if (cachedClient?.url !== url || cachedClient.key !== key) {
    const client = createClient(url, key, {
      auth: { persistSession: false, autoRefreshToken: false, detectSessionInUrl: false },
    });
    cachedClient = { url, key, client };
  }
  return cachedClient.client;
}

function requiredEnv(name: string): string {
  const value = Deno.env.get(name);
  if (!value) throw new Error(`${name} is not set`);
  return value;
}

/** The user id (`sub`) of a valid user access token in `Authorization: Bearer`, else null. */
export async function authenticatedUserId(request: Request): Promise<string | null> {
  const token = bearerToken(request);
  if (!token) return null;
  try {
    const { data, error } = await authClient().auth.getClaims(token);
    if (error || !data) return null;
    const { sub, role } = data.claims;
    return role === "authenticated" && typeof sub === "string" && UUID_RE.test(sub) ? sub.toLowerCase() : null;
  } catch (error) {
    // getClaims throws (instead of returning an error) on tokens whose parts are not JSON
    console.warn("user token rejected:", error instanceof Error ? error.message : error);
    return null;
  }
}

/** The caller's user id; throws 401 unauthorized without a valid user token. */
export async function requireUser(request: Request): Promise<string> {
  const userId = await authenticatedUserId(request);
  if (!userId) throw unauthorized();
  return userId;
}
