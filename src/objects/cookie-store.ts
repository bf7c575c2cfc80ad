/**
 * Each visitor's preserved cookies per site, keyed by (site_id, FPID), for /boot
 * restoration (edge contract section 8): one row per visitor and site, replaced as each
 * hit says (modules/cookie-keeper.ts nextPreserved), at most 20 cookies and 8 KB.
 *
 * Bounded in total without a scan per write: the row count and bytes are held in memory
 * (counted once, from the age index, on the first write) and each write that goes over
 * either bound removes the oldest rows through that index. Rows older than the cookie
 * lifetime are never read, and the alarm deletes them (also through the index).
 */
import type { PreservedCookies } from "../bindings/protocol";
import { nextPreserved } from "../modules/cookie-keeper";
import type { Sql } from "./sql";

type Consent = PreservedCookies["consent"];

export interface CookieStoreBounds {
  maxVisitors: number;
  maxBytes: number;
}

/** 200,000 visitor-sites of a container, or 64 MiB of names and values, whichever comes first. */
const DEFAULT_BOUNDS: CookieStoreBounds = { maxVisitors: 200_000, maxBytes: 64 * 1024 * 1024 };
/** Visitors whose last report is remembered in memory, so a repeat hit writes nothing. */
const MAX_REMEMBERED = 10_000;
/** A visitor seen again within this time is not rewritten just to refresh its age. */
const REFRESH_AFTER_MS = 3_600_000;

type VisitorRow = { cookies: string; analytics: number | null; ads: number | null; bytes: number };

function encodeConsent(value: boolean | null): number | null {
  return value === null ? null : value ? 1 : 0;
}

function decodeConsent(value: number | null): boolean | null {
  return value === null ? null : value === 1;
}

function sizeOf(cookies: PreservedCookies["cookies"]): number {
  return cookies.reduce((sum, cookie) => sum + cookie.name.length + cookie.value.length, 0);
}

export class CookieStore {
  private readonly lastWritten = new Map<string, { signature: string; at: number }>();
  /** Rows and bytes stored; null until the first write counts them. */
  private totals: { rows: number; bytes: number } | null = null;

  constructor(
    private readonly sql: Sql,
    private readonly bounds: CookieStoreBounds = DEFAULT_BOUNDS,
  ) {
    // The FPID-only tables of earlier versions could restore one site's cookies on another.
    sql`DROP TABLE IF EXISTS preserved_cookies`;
    sql`DROP TABLE IF EXISTS preserved_visitors`;
    sql`CREATE TABLE IF NOT EXISTS visitor_cookies (
      site_id TEXT NOT NULL, fpid TEXT NOT NULL, cookies TEXT NOT NULL, bytes INTEGER NOT NULL,
      analytics INTEGER, ads INTEGER, updated_at INTEGER NOT NULL, PRIMARY KEY (site_id, fpid))`;
    sql`CREATE INDEX IF NOT EXISTS visitor_cookies_age ON visitor_cookies (updated_at, bytes)`;
  }

  /** Applies one hit's report to the visitor's set on `siteId`. */
  record(siteId: string, fpid: string, hit: PreservedCookies, requireConsent: boolean, now: number): void {
    const key = JSON.stringify([siteId, fpid]);
    const signature = JSON.stringify([hit, requireConsent]);
    const last = this.lastWritten.get(key);
    if (last && last.signature === signature && now - last.at < REFRESH_AFTER_MS) return;
    if (this.lastWritten.size >= MAX_REMEMBERED) this.lastWritten.clear();
    this.lastWritten.set(key, { signature, at: now });

    const totals = this.countedTotals();
    const [row] = this.sql<VisitorRow>`SELECT cookies, analytics, ads, bytes FROM visitor_cookies
      WHERE site_id = ${siteId} AND fpid = ${fpid}`;
    const next = nextPreserved(row ? this.decode(row) : null, hit, requireConsent);
    if (row) {
      totals.rows -= 1;
      totals.bytes -= row.bytes;
    }
    if (next.cookies.length === 0) {
      // Nothing left to restore: the row (and the consent it remembered) has no use.
      if (row) this.sql`DELETE FROM visitor_cookies WHERE site_id = ${siteId} AND fpid = ${fpid}`;
      return;
    }
    const bytes = sizeOf(next.cookies);
    this.sql`INSERT INTO visitor_cookies (site_id, fpid, cookies, bytes, analytics, ads, updated_at)
      VALUES (${siteId}, ${fpid}, ${JSON.stringify(next.cookies)}, ${bytes},
        ${encodeConsent(next.consent.analytics)}, ${encodeConsent(next.consent.ads)}, ${now})
      ON CONFLICT (site_id, fpid) DO UPDATE SET cookies = excluded.cookies, bytes = excluded.bytes,
        analytics = excluded.analytics, ads = excluded.ads, updated_at = excluded.updated_at`;
    totals.rows += 1;
    totals.bytes += bytes;
    this.evictOldest(siteId, fpid);
  }

  /** The visitor's set on `siteId`, unless older than `maxAgeMs`. */
  read(siteId: string, fpid: string, now: number, maxAgeMs: number): PreservedCookies | null {
    const [row] = this.sql<VisitorRow>`SELECT cookies, analytics, ads, bytes FROM visitor_cookies
      WHERE site_id = ${siteId} AND fpid = ${fpid} AND updated_at >= ${now - maxAgeMs}`;
    return row ? this.decode(row) : null;
  }

  /** Deletes the rows older than `maxAgeMs`; returns how many. */
  purgeExpired(now: number, maxAgeMs: number): number {
    const gone = this.sql<{ bytes: number }>`DELETE FROM visitor_cookies WHERE updated_at < ${now - maxAgeMs} RETURNING bytes`;
    this.forgetTotals(gone);
    return gone.length;
  }

  clear(): void {
    this.lastWritten.clear();
    this.sql`DELETE FROM visitor_cookies`;
    this.totals = { rows: 0, bytes: 0 };
  }

  /** Oldest first, one indexed step at a time, never the row just written. */
  private evictOldest(keepSite: string, keepFpid: string): void {
    const totals = this.countedTotals();
    while (totals.rows > this.bounds.maxVisitors || totals.bytes > this.bounds.maxBytes) {
      const gone = this.sql<{ bytes: number }>`DELETE FROM visitor_cookies WHERE rowid = (
        SELECT rowid FROM visitor_cookies WHERE NOT (site_id = ${keepSite} AND fpid = ${keepFpid})
        ORDER BY updated_at LIMIT 1) RETURNING bytes`;
      if (gone.length === 0) return;
      this.forgetTotals(gone);
    }
  }

  private forgetTotals(gone: Array<{ bytes: number }>): void {
    if (!this.totals) return;
    this.totals.rows -= gone.length;
    this.totals.bytes -= gone.reduce((sum, row) => sum + row.bytes, 0);
  }

  private countedTotals(): { rows: number; bytes: number } {
    if (!this.totals) {
      const [row] = this.sql<{ rows: number; bytes: number | null }>`
        SELECT COUNT(*) AS rows, SUM(bytes) AS bytes FROM visitor_cookies INDEXED BY visitor_cookies_age`;
      this.totals = { rows: row?.rows ?? 0, bytes: row?.bytes ?? 0 };
    }
    return this.totals;
  }

  private decode(row: VisitorRow): PreservedCookies {
    const consent: Consent = { analytics: decodeConsent(row.analytics), ads: decodeConsent(row.ads) };
    return { cookies: JSON.parse(row.cookies) as PreservedCookies["cookies"], consent };
  }
}
