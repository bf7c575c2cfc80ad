/** Identifier shapes and encodings that both planes use (edge contract sections 1, 2, 7). */

/** A container, client or site id: a UUID, any case. */
export const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** The pause reason the object sets itself at the plan limit, and that billing lifts. */
export const USAGE_LIMIT_REASON = "usage_limit";

/** RFC 4648 base64url without padding. */
export function bytesToBase64Url(bytes: Uint8Array): string {
  let binary = "";
  for (const byte of bytes) binary += String.fromCharCode(byte);
  return btoa(binary).replaceAll("+", "-").replaceAll("/", "_").replace(/=+$/, "");
}

/** The bytes of base64url text (padding optional, but whole if present), or null when it is not base64url. */
export function base64UrlToBytes(text: string): Uint8Array | null {
  if (!/^[A-Za-z0-9_-]*={0,2}$/.test(text)) return null;
  const padAt = text.indexOf("=");
  const body = padAt === -1 ? text : text.slice(0, padAt);
  if (padAt !== -1 && text.length % 4 !== 0) return null;
  if (body.length % 4 === 1) return null;
  let binary: string;
  try {
    binary = atob(body.replaceAll("-", "+").replaceAll("_", "/"));
  } catch {
    return null;
  }
  return Uint8Array.from(binary, (char) => char.charCodeAt(0));
}
