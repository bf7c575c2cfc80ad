/**
 * The latest value of each kept cookie per visitor (keyed by FPID) for /boot
 * restoration, with the consent seen on the visitor's last hit.
 * Bounded: rows expire with the cookie lifetime and the oldest visitors go first.
 */
import type { PreservedCookies } from "../bindings/protocol";
import type { Sql } from "./sql";

type Consent = PreservedCookies["consent"];

const MAX_VISITORS = 200_000;
/** Visitors whose last write is remembered in memory, so a repeat hit writes nothing. */
const MAX_REMEMBERED = 10_000;
/** A visitor seen again within this time is not rewritten just to refresh its age. */
const REFRESH_AFTER_MS = 3_600_000;

function encodeConsent(value: boolean | null): number | null {
  return value === null ? null : value ? 1 : 0;
}

function decodeConsent(value: number | null): boolean | null {
  return value === null ? null : value === 1;
}

export class CookieStore {
  private readonly lastWritten = new Map<string, { signature: string; at: number }>();

  constructor(private readonly sql: Sql) {
    sql`CREATE TABLE IF NOT EXISTS preserved_visitors (
      fpid TEXT PRIMARY KEY, analytics INTEGER, ads INTEGER, updated_at INTEGER NOT NULL)`;
    sql`CREATE TABLE IF NOT EXISTS preserved_cookies (
      fpid TEXT NOT NULL, name TEXT NOT NULL, value TEXT NOT NULL, PRIMARY KEY (fpid, name))`;
    sql`CREATE INDEX IF NOT EXISTS preserved_visitors_age ON preserved_visitors (updated_at)`;
  }

  preserve(fpid: string, cookies: Array<{ name: string; value: string }>, consent: Consent, now: number): void {
    const signature = JSON.stringify([cookies, consent]);
    const last = this.lastWritten.get(fpid);
    if (last && last.signature === signature && now - last.at < REFRESH_AFTER_MS) return;
    if (this.lastWritten.size >= MAX_REMEMBERED) this.lastWritten.clear();
    this.lastWritten.set(fpid, { signature, at: now });
    this.sql`INSERT INTO preserved_visitors (fpid, analytics, ads, updated_at)
      VALUES (${fpid}, ${encodeConsent(consent.analytics)}, ${encodeConsent(consent.ads)}, ${now})
      ON CONFLICT (fpid) DO UPDATE SET analytics = excluded.analytics, ads = excluded.ads, updated_at = excluded.updated_at`;
    for (const cookie of cookies) {
      this.sql`INSERT INTO preserved_cookies (fpid, name, value) VALUES (${fpid}, ${cookie.name}, ${cookie.value})
        ON CONFLICT (fpid, name) DO UPDATE SET value = excluded.value`;
    }
  }

  read(fpid: string): PreservedCookies | null {
    const [visitor] = this.sql<{ analytics: number | null; ads: number | null }>`
      SELECT analytics, ads FROM preserved_visitors WHERE fpid = ${fpid}`;
    if (!visitor) return null;
    const cookies = this.sql<{ name: string; value: string }>`
      SELECT name, value FROM preserved_cookies WHERE fpid = ${fpid} ORDER BY name`;
    return { cookies, consent: { analytics: decodeConsent(visitor.analytics), ads: decodeConsent(visitor.ads) } };
  }

  /** Forgets visitors not seen within `maxAgeMs` and the oldest beyond the bound. */
  purge(now: number, maxAgeMs: number): number {
    const expired = this.sql<{ fpid: string }>`SELECT fpid FROM preserved_visitors
      WHERE updated_at < ${now - maxAgeMs}
      OR fpid IN (SELECT fpid FROM preserved_visitors ORDER BY updated_at DESC LIMIT -1 OFFSET ${MAX_VISITORS})`;
    for (const { fpid } of expired) this.forget(fpid);
    return expired.length;
  }

  clear(): void {
    this.lastWritten.clear();
    this.sql`DELETE FROM preserved_cookies`;
    this.sql`DELETE FROM preserved_visitors`;
  }

  forget(fpid: string): void {
    this.lastWritten.delete(fpid);
    this.sql`DELETE FROM preserved_cookies WHERE fpid = ${fpid}`;
    this.sql`DELETE FROM preserved_visitors WHERE fpid = ${fpid}`;
  }
}
