/**
 * Per-site endpoints (edge contract section 9): every path, file name, parameter name and
 * payload encoding a site's loader uses is derived from the site's `endpoint_key` with
 * HMAC-SHA256, so two sites share no literal fragment beyond chance and one filter rule
 * written from two customers' traffic cannot block a third. Both planes use it: the edge
 * to serve the paths, the control plane to hand the customer the exact script tag.
 */

export interface SiteEndpoints {
  /** The site's loader script. */
  loader: string;
  /** The GTM script (served through recovery, so no `gtm.js` or `GTM-` in the URL). */
  gtm: string;
  /** Recovered hits and tag scripts: `{hit}?{param}={encoded path+query}`. */
  hit: string;
  /** Cookie restoration (contract row 3). */
  boot: string;
  /** Adblock/ITP reports (contract row 4). */
  detect: string;
  /** Query parameter that carries the encoded payload. */
  param: string;
  /** The payload codec: a permuted base64url alphabet and a keystream seed. */
  codec: PayloadCodec;
  /** Names the loader uses in the page (its once-guard and its session key). */
  pageName: string;
}

export interface PayloadCodec {
  /** 32-bit xorshift seed: of the alphabet's order and of the keystream XORed into the bytes. 0 = plain base64url. */
  seed: number;
  /** The 64 base64url characters in the order the seed gives (the loader derives the same from the seed). */
  alphabet: string;
}

export type EndpointKind = "loader" | "gtm" | "hit" | "boot" | "detect";
export const ENDPOINT_KINDS: readonly EndpointKind[] = ["loader", "gtm", "hit", "boot", "detect"];

const BASE64URL_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
const LETTERS = "abcdefghijklmnopqrstuvwxyz";
const TOKEN_CHARS = "abcdefghijklmnopqrstuvwxyz0123456789";
/** Script-like and endpoint-like endings that ordinary sites use everywhere: no rule can key on them. */
const SCRIPT_ENDINGS = [".js", ".mjs", "", ".min.js", ".bundle.js", ".v2.js", "/"];
const ENDPOINT_ENDINGS = ["", ".json", ".php", "/", ".html", ".txt", ".do", ".aspx", ".gif"];

/** A deterministic byte stream from HMAC-SHA256(key, label:n), n = 0, 1, … */
class KeyedStream {
  private buffer: Uint8Array = new Uint8Array(0);
  private offset = 0;
  private block = 0;

  constructor(
    private readonly key: CryptoKey,
    private readonly label: string,
  ) {}

  async byte(): Promise<number> {
    if (this.offset >= this.buffer.length) {
      const data = new TextEncoder().encode(`${this.label}:${this.block++}`);
      this.buffer = new Uint8Array(await crypto.subtle.sign("HMAC", this.key, data));
      this.offset = 0;
    }
    return this.buffer[this.offset++]!;
  }

  /** Uniform enough in [0, n) for n <= 256 (rejection sampling). */
  async below(n: number): Promise<number> {
    const limit = 256 - (256 % n);
    for (;;) {
      const value = await this.byte();
      if (value < limit) return value % n;
    }
  }

  async token(minLength: number, maxLength: number): Promise<string> {
    const length = minLength + (await this.below(maxLength - minLength + 1));
    let text = LETTERS[await this.below(LETTERS.length)]!;
    while (text.length < length) text += TOKEN_CHARS[await this.below(TOKEN_CHARS.length)];
    return text;
  }
}

async function derivedPath(stream: KeyedStream, endings: readonly string[]): Promise<string> {
  const directories = await stream.below(3);
  let path = "";
  for (let i = 0; i < directories; i++) path += `/${await stream.token(2, 9)}`;
  // A separator inside the file name now and then, as bundlers name chunks.
  const name = (await stream.below(3)) === 0 ? `${await stream.token(2, 6)}-${await stream.token(3, 8)}` : await stream.token(3, 12);
  return `${path}/${name}${endings[await stream.below(endings.length)]}`;
}

async function hmacKey(endpointKey: string): Promise<CryptoKey> {
  return crypto.subtle.importKey("raw", new TextEncoder().encode(endpointKey), { name: "HMAC", hash: "SHA-256" }, false, [
    "sign",
  ]);
}

export async function deriveSiteEndpoints(endpointKey: string): Promise<SiteEndpoints> {
  const key = await hmacKey(endpointKey);
  const stream = (label: string) => new KeyedStream(key, `qaxal-site-endpoints-v1:${label}`);
  const taken = new Set<string>();
  const unique = async (label: string, endings: readonly string[]) => {
    const source = stream(label);
    for (;;) {
      const path = await derivedPath(source, endings);
      if (!taken.has(path)) {
        taken.add(path);
        return path;
      }
    }
  };
  const loader = await unique("loader", SCRIPT_ENDINGS);
  const gtm = await unique("gtm", SCRIPT_ENDINGS);
  const hit = await unique("hit", ENDPOINT_ENDINGS);
  const boot = await unique("boot", ENDPOINT_ENDINGS);
  const detect = await unique("detect", ENDPOINT_ENDINGS);
  const names = stream("names");
  const param = await names.token(1, 6);
  const pageName = `${await names.token(3, 8)}${await names.token(2, 5)}`;
  const codecStream = stream("codec");
  let seed = 0;
  for (let i = 0; i < 4; i++) seed = (seed << 8) | (await codecStream.byte());
  return { loader, gtm, hit, boot, detect, param, pageName, codec: payloadCodec(seed || 1) };
}

/** xorshift32: the keystream the loader applies in the browser, byte by byte. */
function nextState(state: number): number {
  let x = state;
  x ^= x << 13;
  x ^= x >>> 17;
  x ^= x << 5;
  return x | 0;
}

/** The codec of a seed; seed 0 is plain base64url (the fixed `/k/` route's `p`). */
export function payloadCodec(seed: number): PayloadCodec {
  const alphabet = [...BASE64URL_ALPHABET];
  let state = seed;
  for (let i = alphabet.length - 1; seed !== 0 && i > 0; i--) {
    state = nextState(state);
    const j = (state >>> 0) % (i + 1);
    [alphabet[i], alphabet[j]] = [alphabet[j]!, alphabet[i]!];
  }
  return { seed, alphabet: alphabet.join("") };
}

/** Bytes XORed with the keystream, then written in the site's alphabet (no padding). */
export function encodePayload(text: string, codec: PayloadCodec): string {
  const bytes = new TextEncoder().encode(text);
  let state = codec.seed;
  let out = "";
  let acc = 0;
  let bits = 0;
  for (const byte of bytes) {
    state = nextState(state);
    acc = ((acc << 8) | ((byte ^ state) & 255)) & 0xffff;
    bits += 8;
    while (bits >= 6) {
      bits -= 6;
      out += codec.alphabet[(acc >> bits) & 63];
    }
  }
  if (bits > 0) out += codec.alphabet[(acc << (6 - bits)) & 63];
  return out;
}

/** The payload's bytes, or null when it is not written in the site's alphabet. */
export function decodePayload(text: string, codec: PayloadCodec): Uint8Array | null {
  if (text.length % 4 === 1) return null;
  const bytes = new Uint8Array(Math.floor((text.length * 6) / 8));
  let state = codec.seed;
  let acc = 0;
  let bits = 0;
  let index = 0;
  for (const char of text) {
    const value = codec.alphabet.indexOf(char);
    if (value === -1) return null;
    acc = ((acc << 6) | value) & 0xffff;
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      state = nextState(state);
      bytes[index++] = ((acc >> bits) ^ state) & 255;
    }
  }
  // Leftover bits must be zero, so each byte string has exactly one encoding.
  if ((acc & ((1 << bits) - 1)) !== 0) return null;
  return bytes;
}
