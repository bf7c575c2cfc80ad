/**
 * Requests per UTC hour, by path class, status class and recovered (issue 16's 48-hour chart,
 * recovery share and status mix), as the Worker tallied them in the batches it hands over
 * after its responses, so nothing is added to the request path. Kept 35 days.
 */
import type { TrafficCount } from "../bindings/protocol";
import { utcHour } from "../modules/log-query";
import type { Sql } from "./sql";

const KEEP_MS = 35 * 86_400_000;

export class TrafficCounter {
  private nextPurgeAt = 0;

  constructor(private readonly sql: Sql) {
    sql`CREATE TABLE IF NOT EXISTS traffic_hourly (hour TEXT NOT NULL, path_class TEXT NOT NULL,
      status_class TEXT NOT NULL, recovered INTEGER NOT NULL, requests INTEGER NOT NULL,
      PRIMARY KEY (hour, path_class, status_class, recovered))`;
  }

  /** Adds a batch's counts (one write per bucket); drops hours past the kept window at most hourly. */
  record(counts: readonly TrafficCount[], now: number): void {
    for (const { hour, path_class, status_class, recovered, requests } of counts) {
      this.sql`INSERT INTO traffic_hourly (hour, path_class, status_class, recovered, requests)
        VALUES (${hour}, ${path_class}, ${status_class}, ${recovered ? 1 : 0}, ${requests})
        ON CONFLICT (hour, path_class, status_class, recovered) DO UPDATE SET requests = requests + excluded.requests`;
    }
    if (now >= this.nextPurgeAt) {
      this.sql`DELETE FROM traffic_hourly WHERE hour < ${utcHour(now - KEEP_MS)}`;
      this.nextPurgeAt = now + 3_600_000;
    }
  }

  /** Rows of the hours from `from` to `to` (both `YYYY-MM-DDTHH`), oldest first. */
  range(from: string, to: string): TrafficCount[] {
    return this.sql<{ hour: string; path_class: string; status_class: string; recovered: number; requests: number }>`
      SELECT hour, path_class, status_class, recovered, requests FROM traffic_hourly
      WHERE hour >= ${from} AND hour <= ${to} ORDER BY hour, path_class, status_class, recovered`
      .map((row) => ({ ...row, recovered: row.recovered === 1 }));
  }
}
