/** Unguessable identifiers of a new container, from crypto.getRandomValues. */

const BASE32 = "abcdefghijklmnopqrstuvwxyz234567";

function randomBytes(length: number): Uint8Array {
  return crypto.getRandomValues(new Uint8Array(length));
}

function base64url(bytes: Uint8Array): string {
  let binary = "";
  for (const byte of bytes) binary += String.fromCharCode(byte);
  return btoa(binary).replaceAll("+", "-").replaceAll("/", "_").replace(/=+$/, "");
}

/** `lt_` + 32 url-safe chars (192 bits): the public loader token. */
export function newLoaderToken(): string {
  return `lt_${base64url(randomBytes(24))}`;
}

/** `ct_` + 32 url-safe chars (192 bits): a site's container token, unique platform-wide. */
export function newContainerToken(): string {
  return `ct_${base64url(randomBytes(24))}`;
}

/** 16 lower-case base32 chars (80 bits) under the platform zone, e.g. `k3j…q7.trqaxal.com`. */
export function newEdgeHostname(zone: string): string {
  const label = [...randomBytes(16)].map((byte) => BASE32[byte & 31]).join("");
  return `${label}.${zone}`;
}
