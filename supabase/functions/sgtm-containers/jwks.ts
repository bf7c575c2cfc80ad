/**
 * The Auth server's signing keys (`{SUPABASE_URL}/auth/v1/.well-known/jwks.json`),
 * fetched on demand and kept for JWKS_TTL_MS. A token naming a `kid` we do not hold
 * triggers a refetch (keys rotate), but at most one per MIN_REFETCH_MS, shared by every
 * concurrent caller: a flood of tokens with made-up kids costs one fetch, not one each.
 */

export const JWKS_TTL_MS = 10 * 60_000;
export const MIN_REFETCH_MS = 30_000;
const FETCH_TIMEOUT_MS = 5_000;
/** A JWKS holds a handful of keys; more than this is not one. */
const MAX_KEYS = 32;

/** A JWK as the JWKS lists it; verification decides whether it is usable. */
export type Jwk = Record<string, unknown> & { kid: string };

export interface JwksOptions {
  fetch?: typeof fetch;
  now?: () => number;
}

export class JwksCache {
  private keys = new Map<string, Jwk>();
  private fetchedAt = Number.NEGATIVE_INFINITY;
  private triedAt = Number.NEGATIVE_INFINITY;
  private loading: Promise<void> | null = null;
  private readonly doFetch: typeof fetch;
  private readonly now: () => number;

  constructor(readonly url: string, options: JwksOptions = {}) {
    this.doFetch = options.fetch ?? fetch;
    this.now = options.now ?? Date.now;
  }

  /** The key with this kid, or null; a stale or missing key is refetched when the throttle allows. */
  async key(kid: string): Promise<Jwk | null> {
    const known = this.keys.get(kid);
    if (known && this.now() - this.fetchedAt < JWKS_TTL_MS) return known;
    await this.refresh();
    return this.keys.get(kid) ?? null;
  }

  private refresh(): Promise<void> {
    if (this.loading) return this.loading;
    const now = this.now();
    if (now - this.triedAt < MIN_REFETCH_MS) return Promise.resolve();
    this.triedAt = now;
    this.loading = this.load(now).finally(() => {
      this.loading = null;
    });
    return this.loading;
  }

  /** A failed fetch keeps the keys we had (an Auth outage must not log everyone out). */
  private async load(now: number): Promise<void> {
    try {
      const response = await this.doFetch(this.url, { signal: AbortSignal.timeout(FETCH_TIMEOUT_MS) });
      if (!response.ok) throw new Error(`status ${response.status}`);
      const body = await response.json() as { keys?: unknown };
      if (!Array.isArray(body?.keys)) throw new Error("no keys array");
      const keys = body.keys.slice(0, MAX_KEYS).filter((key): key is Jwk =>
        typeof key === "object" && key !== null && typeof (key as { kid?: unknown }).kid === "string"
      );
      this.keys = new Map(keys.map((key) => [key.kid, key]));
      this.fetchedAt = now;
    } catch (error) {
      console.warn(`JWKS ${this.url} not refreshed:`, error instanceof Error ? error.message : error);
    }
  }
}
