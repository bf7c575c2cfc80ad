/**
 * Requests per UTC hour, by path class, status class and recovered (issue 16's 48-hour chart,
 * recovery share and status mix), counted from the access-log lines the Worker hands over
 * after its responses, so nothing is added to the request path. Kept 35 days.
 */
import { entryFromLine, trafficBucket, utcHour } from "../modules/log-query";
import type { Sql } from "./sql";

const KEEP_MS = 35 * 86_400_000;

export interface TrafficRow {
  hour: string;
  path_class: string;
  status_class: string;
  recovered: boolean;
  requests: number;
}

export class TrafficCounter {
  private nextPurgeAt = 0;

  constructor(private readonly sql: Sql) {
    sql`CREATE TABLE IF NOT EXISTS traffic_hourly (hour TEXT NOT NULL, path_class TEXT NOT NULL,
      status_class TEXT NOT NULL, recovered INTEGER NOT NULL, requests INTEGER NOT NULL,
      PRIMARY KEY (hour, path_class, status_class, recovered))`;
  }

  /** Counts raw log lines (one write per bucket); drops hours past the kept window at most hourly. */
  record(lines: string[], now: number): void {
    const buckets = new Map<string, { bucket: ReturnType<typeof trafficBucket>; requests: number }>();
    for (const line of lines) {
      const entry = entryFromLine(line);
      if (!entry) continue;
      const bucket = trafficBucket(entry);
      const key = `${bucket.hour}|${bucket.path_class}|${bucket.status_class}|${bucket.recovered}`;
      const counted = buckets.get(key);
      if (counted) counted.requests++;
      else buckets.set(key, { bucket, requests: 1 });
    }
    for (const { bucket, requests } of buckets.values()) {
      this.sql`INSERT INTO traffic_hourly (hour, path_class, status_class, recovered, requests)
        VALUES (${bucket.hour}, ${bucket.path_class}, ${bucket.status_class}, ${bucket.recovered ? 1 : 0}, ${requests})
        ON CONFLICT (hour, path_class, status_class, recovered) DO UPDATE SET requests = requests + excluded.requests`;
    }
    if (now >= this.nextPurgeAt) {
      this.sql`DELETE FROM traffic_hourly WHERE hour < ${utcHour(now - KEEP_MS)}`;
      this.nextPurgeAt = now + 3_600_000;
    }
  }

  /** Rows of the hours from `from` to `to` (both `YYYY-MM-DDTHH`), oldest first. */
  range(from: string, to: string): TrafficRow[] {
    return this.sql<{ hour: string; path_class: string; status_class: string; recovered: number; requests: number }>`
      SELECT hour, path_class, status_class, recovered, requests FROM traffic_hourly
      WHERE hour >= ${from} AND hour <= ${to} ORDER BY hour, path_class, status_class, recovered`
      .map((row) => ({ ...row, recovered: row.recovered === 1 }));
  }
}
