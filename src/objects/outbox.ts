/**
 * A bounded, durable queue in the object's SQLite, drained by the alarm. Used for raw
 * access logs (to R2) and session detections (to the control plane). An entry holds one
 * or more lines (a hand-off of log lines is one row); it is marked delivered only after
 * its sink confirmed it, so a crash or a failing sink loses nothing. When the bound is
 * hit the oldest entries go and their lines are counted as dropped.
 */
import type { Sql } from "./sql";

export interface OutboxStats {
  pending: number;
  delivered: number;
  dropped: number;
  failed_deliveries: number;
}

export interface OutboxBatch {
  firstId: number;
  lastId: number;
  /** Entry bodies in order; each holds `lines` lines joined by the caller's separator. */
  bodies: string[];
  lines: number;
}

const RETRY_BASE_MS = 2_000;
const RETRY_MAX_MS = 300_000;

type EntryRow = { id: number; body: string; lines: number };

export class Outbox {
  /** Pending lines (not entries): the bound and the stats speak in lines. */
  private pending: number;
  private readonly table: string;

  constructor(
    private readonly sql: Sql,
    private readonly storage: DurableObjectStorage,
    name: string,
    private readonly maxPendingLines: number,
  ) {
    this.table = `outbox_${name}`;
    storage.sql.exec(`CREATE TABLE IF NOT EXISTS ${this.table} (
      id INTEGER PRIMARY KEY AUTOINCREMENT, dedupe TEXT UNIQUE, body TEXT NOT NULL,
      lines INTEGER NOT NULL, delivered INTEGER NOT NULL DEFAULT 0)`);
    sql`CREATE TABLE IF NOT EXISTS outbox_counters (name TEXT PRIMARY KEY, value INTEGER NOT NULL)`;
    const [row] = storage.sql
      .exec<{ n: number | null }>(`SELECT SUM(lines) AS n FROM ${this.table} WHERE delivered = 0`)
      .toArray();
    this.pending = row?.n ?? 0;
  }

  /**
   * Queues an entry of `lines` lines; with a dedupe key an entry is queued once ever (until
   * purged). Returns false for a duplicate.
   */
  append(body: string, lines = 1, dedupe: string | null = null): boolean {
    const inserted = this.storage.sql
      .exec(
        `INSERT INTO ${this.table} (dedupe, body, lines) VALUES (?, ?, ?) ON CONFLICT (dedupe) DO NOTHING RETURNING id`,
        dedupe,
        body,
        lines,
      )
      .toArray();
    if (inserted.length === 0) return false;
    this.pending += lines;
    while (this.pending > this.maxPendingLines) {
      const [oldest] = this.storage.sql
        .exec<{ lines: number }>(
          `DELETE FROM ${this.table} WHERE id = (SELECT MIN(id) FROM ${this.table} WHERE delivered = 0) RETURNING lines`,
        )
        .toArray();
      if (!oldest) break;
      this.pending -= oldest.lines;
      this.bump("dropped", oldest.lines);
    }
    return true;
  }

  /** Whether an entry with this dedupe key is queued or remembered as delivered. */
  holds(dedupe: string): boolean {
    return this.storage.sql.exec(`SELECT 1 FROM ${this.table} WHERE dedupe = ?`, dedupe).toArray().length > 0;
  }

  hasPending(): boolean {
    return this.pending > 0;
  }

  /** The oldest pending entries, up to `maxLines` lines (at least one entry) and, when given, up to entry `lastId`. */
  takeBatch(maxLines: number, lastId = Number.MAX_SAFE_INTEGER): OutboxBatch | null {
    const cursor = this.storage.sql.exec<EntryRow>(
      `SELECT id, body, lines FROM ${this.table} WHERE delivered = 0 AND id <= ? ORDER BY id`,
      lastId,
    );
    const rows: EntryRow[] = [];
    let lines = 0;
    for (const row of cursor) {
      if (rows.length > 0 && lines + row.lines > maxLines) break;
      rows.push(row);
      lines += row.lines;
    }
    if (rows.length === 0) return null;
    return { firstId: rows[0]!.id, lastId: rows[rows.length - 1]!.id, bodies: rows.map((row) => row.body), lines };
  }

  /** Marks a batch delivered. Deduplicated entries stay (as delivered) so a replay is still refused. */
  confirm(batch: OutboxBatch): void {
    this.storage.sql.exec(
      `UPDATE ${this.table} SET delivered = 1 WHERE delivered = 0 AND id BETWEEN ? AND ?`,
      batch.firstId,
      batch.lastId,
    );
    this.storage.sql.exec(`DELETE FROM ${this.table} WHERE dedupe IS NULL AND delivered = 1`);
    this.pending -= batch.lines;
    this.bump("delivered", batch.lines);
    this.sql`DELETE FROM outbox_counters WHERE name = ${`${this.table}.attempts`}`;
  }

  /** Records a failed delivery and returns how long to wait before the next try. */
  failed(): number {
    this.bump("failed_deliveries", 1);
    const attempts = this.bump("attempts", 1);
    return Math.min(RETRY_MAX_MS, RETRY_BASE_MS * 2 ** Math.min(attempts - 1, 16));
  }

  /** Forgets delivered dedupe keys beyond the newest `keep`. */
  purgeDelivered(keep: number): void {
    this.storage.sql.exec(
      `DELETE FROM ${this.table} WHERE delivered = 1 AND id NOT IN
        (SELECT id FROM ${this.table} WHERE delivered = 1 ORDER BY id DESC LIMIT ?)`,
      keep,
    );
  }

  stats(): OutboxStats {
    return {
      pending: this.pending,
      delivered: this.counter("delivered"),
      dropped: this.counter("dropped"),
      failed_deliveries: this.counter("failed_deliveries"),
    };
  }

  private counter(name: string): number {
    const key = `${this.table}.${name}`;
    const [row] = this.sql<{ value: number }>`SELECT value FROM outbox_counters WHERE name = ${key}`;
    return row?.value ?? 0;
  }

  private bump(name: string, by: number): number {
    const key = `${this.table}.${name}`;
    const [row] = this.sql<{ value: number }>`INSERT INTO outbox_counters (name, value) VALUES (${key}, ${by})
      ON CONFLICT (name) DO UPDATE SET value = value + excluded.value RETURNING value`;
    return row?.value ?? by;
  }
}
