/** Unguessable identifiers of a new container, from crypto.getRandomValues. */
import { bytesToBase64Url } from "../../../src/shared/ids.ts";

const BASE32 = "abcdefghijklmnopqrstuvwxyz234567";

function randomBytes(length: number): Uint8Array {
  return crypto.getRandomValues(new Uint8Array(length));
}

/** `lt_` + 32 url-safe chars (192 bits): the public loader token. */
export function newLoaderToken(): string {
  return `lt_${bytesToBase64Url(randomBytes(24))}`;
}

/** `ct_` + 32 url-safe chars (192 bits): a site's container token, unique platform-wide. */
export function newContainerToken(): string {
  return `ct_${bytesToBase64Url(randomBytes(24))}`;
}

/** 16 lower-case base32 chars (80 bits) under the platform zone, e.g. `k3j…q7.trqaxal.com`. */
export function newEdgeHostname(zone: string): string {
  const label = [...randomBytes(16)].map((byte) => BASE32[byte & 31]).join("");
  return `${label}.${zone}`;
}
