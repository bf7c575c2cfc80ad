/** Usage counters per UTC day and month, held in memory and written through to SQLite. */
import type { UsageSnapshot } from "../bindings/protocol";
import type { Sql } from "./sql";

export function utcDay(now: number): string {
  return new Date(now).toISOString().slice(0, 10);
}

export class UsageCounter {
  private day = "";
  private dayRequests = 0;
  private monthRequests = 0;
  private nextDayAt = 0;

  constructor(private readonly sql: Sql) {
    sql`CREATE TABLE IF NOT EXISTS usage_daily (day TEXT PRIMARY KEY, requests INTEGER NOT NULL)`;
  }

  /** Month requests after rolling over to the day of `now`; reads storage only on a new day. */
  monthTotal(now: number): number {
    if (now >= this.nextDayAt) this.rollTo(now);
    return this.monthRequests;
  }

  /** Counts requests; the row is written before the caller's response leaves the object. */
  increment(now: number, by = 1): void {
    if (now >= this.nextDayAt) this.rollTo(now);
    this.sql`INSERT INTO usage_daily (day, requests) VALUES (${this.day}, ${by})
      ON CONFLICT (day) DO UPDATE SET requests = requests + excluded.requests`;
    this.dayRequests += by;
    this.monthRequests += by;
  }

  /** Un-counts lease slots that were never used, on the day they were counted. */
  release(day: string, count: number, now: number): void {
    this.sql`UPDATE usage_daily SET requests = MAX(0, requests - ${count}) WHERE day = ${day}`;
    this.rollTo(now);
  }

  snapshot(now: number): UsageSnapshot {
    this.monthTotal(now);
    return {
      day: this.day,
      day_requests: this.dayRequests,
      month: this.day.slice(0, 7),
      month_requests: this.monthRequests,
    };
  }

  range(from: string, to: string): Array<{ day: string; requests: number }> {
    return this.sql<{ day: string; requests: number }>`SELECT day, requests FROM usage_daily
      WHERE day >= ${from} AND day <= ${to} ORDER BY day`;
  }

  private rollTo(now: number): void {
    this.day = utcDay(now);
    const month = this.day.slice(0, 7);
    const [today] = this.sql<{ requests: number }>`SELECT requests FROM usage_daily WHERE day = ${this.day}`;
    const [total] = this.sql<{ total: number | null }>`SELECT SUM(requests) AS total FROM usage_daily
      WHERE day >= ${`${month}-01`} AND day <= ${`${month}-31`}`;
    this.dayRequests = today?.requests ?? 0;
    this.monthRequests = total?.total ?? 0;
    const midnight = new Date(`${this.day}T00:00:00.000Z`).getTime() + 86_400_000;
    this.nextDayAt = midnight;
  }
}
