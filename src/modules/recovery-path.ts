/**
 * Recovery path `/k/{container_token}?p=…` (edge contract section 5).
 * `p` is base64url of a relative path plus optional query. Only the exact
 * allowlisted paths pass; the query is opaque and passes byte for byte.
 * Every refusal carries a short reason for the logs (never for the client).
 */
import { base64UrlToBytes } from "../shared/ids";
import { decodePayload, type PayloadCodec } from "../shared/site-endpoints";

export const RECOVERY_PATHS: readonly string[] = Object.freeze([
  "/g/collect",
  "/collect",
  "/r/collect",
  "/ccm/collect",
  "/gtm.js",
  "/gtag/js",
  "/gtag/destination",
]);

const ALLOWED_PATHS: ReadonlySet<string> = new Set(RECOVERY_PATHS);

/** Decoded payload limit (contract: over 8 KB decoded is refused). */
export const MAX_DECODED_BYTES = 8 * 1024;
/** 8 KB of bytes is 10,923 base64 chars; anything past 11 KB cannot be valid, so refuse before decoding. */
export const MAX_RAW_PARAM_CHARS = 11 * 1024;

export type DecodedRecovery = { ok: true; path: string; query: string } | { ok: false; reason: string };

const SCHEME_RE = /^[A-Za-z][A-Za-z0-9+.-]*:/;
/** C0 controls, DEL and C1 controls: never legitimate anywhere in a hit. */
const CONTROL_RE = /[\u0000-\u001f\u007f-\u009f]/;
/** Characters that some parser, proxy or filesystem may treat as a slash, backslash or dot. */
const LOOKALIKE_RE = /[\uff0f\u2215\u2044\u29f8\u29f5\u29f9\u2216\ufe68\uff3c\u2024\u2025\u2026\uff0e\u3002\ufe52\u00b7]/u;
const FORBIDDEN_ENCODED_RE = /%(?:2f|5c|2e|00|40)/i;
/**
 * What the opaque query may not hold raw: any Unicode whitespace (U+00A0, U+2028, U+3000,
 * U+FEFF… as well as the space), a fragment, controls. One rule for the decoder and the
 * upstream check, so what the route admits (and counts) always builds (section 8).
 */
const QUERY_REFUSED_RE = /[\s#\u0000-\u001f\u007f-\u009f]/u;

export function encodeRecoveryParam(pathAndQuery: string): string {
  const bytes = new TextEncoder().encode(pathAndQuery);
  let binary = "";
  for (const byte of bytes) binary += String.fromCharCode(byte);
  return btoa(binary).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

export function decodeRecoveryParam(p: string | null): DecodedRecovery {
  if (p === null || p === "") return refuse("missing p");
  if (p.length > MAX_RAW_PARAM_CHARS) return refuse(`p is ${p.length} chars, over ${MAX_RAW_PARAM_CHARS}`);
  const bytes = base64UrlToBytes(p);
  if (!bytes) return refuse("p is not base64url");
  return decodeRecoveryBytes(bytes);
}

/** A per-site endpoint's payload (section 9): the site's codec, then every rule of section 5. */
export function decodeKeyedRecoveryParam(p: string | null, codec: PayloadCodec): DecodedRecovery {
  if (p === null || p === "") return refuse("missing payload");
  if (p.length > MAX_RAW_PARAM_CHARS) return refuse(`payload is ${p.length} chars, over ${MAX_RAW_PARAM_CHARS}`);
  const bytes = decodePayload(p, codec);
  if (!bytes) return refuse("payload is not in the site's encoding");
  return decodeRecoveryBytes(bytes);
}

function decodeRecoveryBytes(bytes: Uint8Array): DecodedRecovery {
  if (bytes.length > MAX_DECODED_BYTES) return refuse(`decoded p is ${bytes.length} bytes, over ${MAX_DECODED_BYTES}`);

  let text: string;
  try {
    // ignoreBOM keeps a leading U+FEFF in the text, so it is refused below instead of silently dropped.
    text = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true }).decode(bytes);
  } catch {
    return refuse("decoded p is not valid UTF-8");
  }

  if (/[\r\n]/.test(text)) return refuse("CR/LF in decoded p");
  if (CONTROL_RE.test(text)) return refuse("control character in decoded p");
  if (text.includes("#")) return refuse("fragment in decoded p");

  const queryAt = text.indexOf("?");
  const path = queryAt === -1 ? text : text.slice(0, queryAt);
  const query = queryAt === -1 ? "" : text.slice(queryAt);

  const pathProblem = pathRefusal(path);
  if (pathProblem) return refuse(pathProblem);
  if (QUERY_REFUSED_RE.test(query)) return refuse("space or whitespace in query");
  return { ok: true, path, query };
}

/**
 * origin + path + query, or null when the result would not be on `origin`
 * exactly (the last check before anything is fetched).
 */
export function recoveryUpstreamUrl(origin: string, path: string, query: string): string | null {
  if (!ALLOWED_PATHS.has(path)) return null;
  if (query !== "" && !query.startsWith("?")) return null;
  if (QUERY_REFUSED_RE.test(query)) return null;
  let base: URL;
  let target: URL;
  try {
    base = new URL(origin);
    target = new URL(origin + path + query);
  } catch {
    return null;
  }
  if (base.origin !== origin) return null;
  if (target.origin !== origin || target.pathname !== path) return null;
  if (target.username || target.password || target.hash) return null;
  return origin + path + query;
}

function refuse(reason: string): DecodedRecovery {
  return { ok: false, reason };
}

/** Why the path is refused, or null when it is exactly an allowed path. Specific checks first, for useful logs. */
function pathRefusal(path: string): string | null {
  if (path === "") return "empty path";
  if (path.startsWith("//")) return "protocol-relative URL";
  if (SCHEME_RE.test(path) || path.includes("://")) return "absolute URL";
  if (!path.startsWith("/")) return "path does not start with /";
  if (path.includes("\\")) return "backslash in path";
  if (path.includes("@")) return "userinfo @ in path";
  if (LOOKALIKE_RE.test(path)) return "lookalike separator in path";
  if (/[^\x21-\x7e]/.test(path)) return "non-ASCII or space in path";
  if (path.includes("%")) return encodedPathRefusal(path);
  if (path.split("/").some((segment) => segment === ".." || segment === ".")) return "dot segment in path";
  if (!ALLOWED_PATHS.has(path)) return `path ${JSON.stringify(path.slice(0, 64))} not allowed`;
  return null;
}

/** Allowed paths never contain `%`; this only names the trick (encoded dot, slash, backslash…) for the log. */
function encodedPathRefusal(path: string): string {
  let current = path;
  for (let round = 0; round < 4; round++) {
    if (FORBIDDEN_ENCODED_RE.test(current)) return `encoded separator or dot in path (encoding depth ${round + 1})`;
    let next: string;
    try {
      next = decodeURIComponent(current);
    } catch {
      return "malformed percent-encoding in path";
    }
    if (next === current) break;
    current = next;
  }
  return "percent-encoding in path";
}
