/**
 * Who is calling: a signed-in user (Supabase access token). Service-role and
 * edge callers are recognised by http.ts (`isServiceRoleCaller`, `isEdgeCaller`).
 *
 * An asymmetric token (ES256/RS256 with a `kid`) is checked locally: its key comes
 * from our JWKS cache (jwks.ts: refetches throttled, so unknown kids cost at most one
 * fetch per 30 s) and supabase-js `auth.getClaims(jwt, { keys: [key] })` checks `exp`
 * and the signature with WebCrypto, without any request of its own. A symmetric (HS256)
 * token can only be checked by the Auth server (`/auth/v1/user`), which getClaims asks.
 * getClaims looks at neither issuer, audience, `role` nor `sub`, so we require
 * `iss` = SUPABASE_JWT_ISSUER (default `{SUPABASE_URL}/auth/v1`), `aud` containing
 * SUPABASE_JWT_AUDIENCE (default `authenticated`) and a signed-in user's token
 * (`role: authenticated`, uuid `sub`): an anon or service-role JWT is not a user.
 */
import { createClient, type JWK, type SupabaseClient } from "@supabase/supabase-js";
import { base64UrlToBytes, UUID_RE } from "../../../src/shared/ids.ts";
import { bearerToken } from "../../../src/shared/secrets.ts";
import { unauthorized } from "../_shared/http.ts";
import { JwksCache } from "./jwks.ts";

const ASYMMETRIC_ALGORITHMS = new Set(["ES256", "RS256"]);

interface AuthSettings {
  url: string;
  anonKey: string;
  issuer: string;
  audience: string;
}

let cached: { settings: AuthSettings; client: SupabaseClient; jwks: JwksCache } | undefined;

/** One client and one key cache per settings: the cache is what keeps verification local. */
function verifier() {
  const url = requiredEnv("SUPABASE_URL").replace(/\/+$/, "");
  const settings: AuthSettings = {
    url,
    anonKey: requiredEnv("SUPABASE_ANON_KEY"),
    issuer: Deno.env.get("SUPABASE_JWT_ISSUER") || `${url}/auth/v1`,
    audience: Deno.env.get("SUPABASE_JWT_AUDIENCE") || "authenticated",
  };
  if (!cached || JSON.stringify(cached.settings) !== JSON.stringify(settings)) {
    const client = createClient(settings.url, settings.anonKey, {
      auth: { persistSession: false, autoRefreshToken: false, detectSessionInUrl: false },
    });
    cached = { settings, client, jwks: new JwksCache(`${url}/auth/v1/.well-known/jwks.json`) };
  }
  return cached;
}

function requiredEnv(name: string): string {
  const value = Deno.env.get(name);
  if (!value) throw new Error(`${name} is not set`);
  return value;
}

/** The JOSE header of a compact JWT, or null when it is not one. */
function jwtHeader(token: string): { alg?: unknown; kid?: unknown } | null {
  const parts = token.split(".");
  const bytes = parts.length === 3 ? base64UrlToBytes(parts[0]!) : null;
  if (!bytes) return null;
  try {
    const header = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(bytes));
    return typeof header === "object" && header !== null ? header : null;
  } catch {
    return null;
  }
}

function hasAudience(aud: unknown, audience: string): boolean {
  return aud === audience || (Array.isArray(aud) && aud.includes(audience));
}

/** The user id (`sub`) of a valid user access token in `Authorization: Bearer`, else null. */
export async function authenticatedUserId(request: Request): Promise<string | null> {
  const token = bearerToken(request);
  const header = token ? jwtHeader(token) : null;
  if (!token || !header) return null;
  const { settings, client, jwks } = verifier();
  try {
    let key: JWK | null = null;
    if (typeof header.alg === "string" && ASYMMETRIC_ALGORITHMS.has(header.alg)) {
      key = typeof header.kid === "string" ? await jwks.key(header.kid) as JWK | null : null;
      if (!key) return null;
    } else if (header.alg !== "HS256") {
      return null;
    }
    // with `jwks` given, getClaims takes the key from it and fetches nothing
    const { data, error } = await client.auth.getClaims(token, key ? { jwks: { keys: [key] } } : {});
    if (error || !data) return null;
    const { sub, role, iss, aud } = data.claims;
    if (iss !== settings.issuer || !hasAudience(aud, settings.audience)) return null;
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
