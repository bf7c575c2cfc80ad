/**
 * Local stand-in for Supabase Auth's signing side (there is no GoTrue locally).
 *
 * Holds an ES256 key, publishes its public half as a JWKS (served by
 * functions-server.ts at /auth/v1/.well-known/jwks.json, where supabase-js
 * `auth.getClaims()` fetches it) and mints user access tokens shaped like
 * GoTrue's. Functions never import this file: they verify through supabase-js
 * exactly as in production.
 *
 * CLI (Deno): `SUPABASE_URL=… deno run -A scripts/dev/platform/local-auth.ts token <userId> [email]`
 * prints a JWT signed with the key kept in .data/local-auth/ (created on first use).
 */

export const DEFAULT_KEY_PATH = ".data/local-auth/es256-signing-key.json";
const ALGORITHM = { name: "ECDSA", namedCurve: "P-256" } as const;
const SIGNATURE = { name: "ECDSA", hash: "SHA-256" } as const;

export interface LocalSigningKey {
  kid: string;
  privateKey: CryptoKey;
  publicJwk: JsonWebKey & { kid: string; alg: "ES256"; use: "sig" };
}

interface StoredKey {
  kid: string;
  privateJwk: JsonWebKey;
}

/** A fresh key with a random `kid` (tests make one per run). */
export async function generateSigningKey(): Promise<LocalSigningKey> {
  const stored = await generateStoredKey();
  return fromPrivateJwk(stored.kid, stored.privateJwk);
}

async function generateStoredKey(): Promise<StoredKey> {
  const pair = await crypto.subtle.generateKey(ALGORITHM, true, ["sign", "verify"]);
  return { kid: crypto.randomUUID(), privateJwk: await crypto.subtle.exportKey("jwk", pair.privateKey) };
}

async function fromPrivateJwk(kid: string, privateJwk: JsonWebKey): Promise<LocalSigningKey> {
  const privateKey = await crypto.subtle.importKey("jwk", privateJwk, ALGORITHM, false, ["sign"]);
  const { kty, crv, x, y } = privateJwk;
  return { kid, privateKey, publicJwk: { kty, crv, x, y, kid, alg: "ES256", use: "sig", key_ops: ["verify"] } };
}

/**
 * The key kept across restarts of the local platform (created at first start).
 * `createNew`: when two processes race to create it, both end up with the winner's key.
 */
export async function loadOrCreateSigningKey(path = DEFAULT_KEY_PATH): Promise<LocalSigningKey> {
  try {
    return await readStoredKey(path);
  } catch (error) {
    if (!(error instanceof Deno.errors.NotFound)) throw error;
  }
  const stored = await generateStoredKey();
  const dir = path.includes("/") ? path.slice(0, path.lastIndexOf("/")) : ".";
  await Deno.mkdir(dir, { recursive: true });
  try {
    await Deno.writeTextFile(path, JSON.stringify(stored), { mode: 0o600, createNew: true });
  } catch (error) {
    if (error instanceof Deno.errors.AlreadyExists) return await readStoredKey(path);
    throw error;
  }
  return await fromPrivateJwk(stored.kid, stored.privateJwk);
}

async function readStoredKey(path: string): Promise<LocalSigningKey> {
  const stored: StoredKey = JSON.parse(await Deno.readTextFile(path));
  return await fromPrivateJwk(stored.kid, stored.privateJwk);
}

export function jwksOf(...keys: LocalSigningKey[]): { keys: LocalSigningKey["publicJwk"][] } {
  return { keys: keys.map((key) => key.publicJwk) };
}

export interface MintOptions {
  key?: LocalSigningKey;
  ttlSeconds?: number;
  /** GoTrue sets `{SUPABASE_URL}/auth/v1` and the functions check it: default as they expect it (env). */
  issuer?: string;
  /** Default `authenticated`, which the functions require (a list must name it). */
  audience?: string | string[];
  role?: string;
}

/** The issuer the functions expect: SUPABASE_JWT_ISSUER, else `{SUPABASE_URL}/auth/v1`. */
function expectedIssuer(): string {
  const issuer = Deno.env.get("SUPABASE_JWT_ISSUER");
  if (issuer) return issuer;
  const url = Deno.env.get("SUPABASE_URL");
  if (!url) throw new Error("SUPABASE_URL is not set: a token's issuer is {SUPABASE_URL}/auth/v1");
  return `${url.replace(/\/+$/, "")}/auth/v1`;
}

/** A GoTrue-shaped access token for `userId`, signed ES256 with a `kid` the JWKS publishes. */
export async function mintUserJwt(userId: string, email: string, options: MintOptions = {}): Promise<string> {
  const key = options.key ?? (await loadOrCreateSigningKey());
  const now = Math.floor(Date.now() / 1000);
  const header = { alg: "ES256", typ: "JWT", kid: key.kid };
  const payload = {
    iss: options.issuer ?? expectedIssuer(),
    sub: userId,
    aud: options.audience ?? "authenticated",
    role: options.role ?? "authenticated",
    email,
    iat: now,
    exp: now + (options.ttlSeconds ?? 3600),
    aal: "aal1",
    session_id: crypto.randomUUID(),
    is_anonymous: false,
  };
  const signingInput = `${base64url(JSON.stringify(header))}.${base64url(JSON.stringify(payload))}`;
  const signature = await crypto.subtle.sign(SIGNATURE, key.privateKey, new TextEncoder().encode(signingInput));
  return `${signingInput}.${base64url(new Uint8Array(signature))}`;
}

function base64url(input: string | Uint8Array): string {
  const bytes = typeof input === "string" ? new TextEncoder().encode(input) : input;
  let binary = "";
  for (const byte of bytes) binary += String.fromCharCode(byte);
  return btoa(binary).replaceAll("+", "-").replaceAll("/", "_").replace(/=+$/, "");
}

if (import.meta.main) {
  const [command, userId, email] = Deno.args;
  if (command !== "token" || !userId) {
    console.error("usage: deno run -A scripts/dev/platform/local-auth.ts token <userId> [email]");
    Deno.exit(2);
  }
  console.log(await mintUserJwt(userId, email ?? `${userId}@local.test`));
}
