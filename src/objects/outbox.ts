/**
 * A bounded, durable queue of lines in the object's SQLite, drained by the alarm.
 * Used for raw access logs (to R2) and session detections (to the control plane):
 * a line is deleted only after its sink confirmed it, so a crash or a failing sink
 * loses nothing; when the bound is hit the oldest lines go and are counted.
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
  lines: string[];
}

const RETRY_BASE_MS = 2_000;
const RETRY_MAX_MS = 300_000;

export class Outbox {
  private pending: number;
  private readonly table: string;

  constructor(
    private readonly sql: Sql,
    private readonly storage: DurableObjectStorage,
    name: string,
    private readonly maxPending: number,
  ) {
    this.table = `outbox_${name}`;
    storage.sql.exec(`CREATE TABLE IF NOT EXISTS ${this.table} (
      id INTEGER PRIMARY KEY AUTOINCREMENT, dedupe TEXT UNIQUE, line TEXT NOT NULL, delivered INTEGER NOT NULL DEFAULT 0)`);
    sql`CREATE TABLE IF NOT EXISTS outbox_counters (name TEXT PRIMARY KEY, value INTEGER NOT NULL)`;
    this.pending = this.countPending();
  }

  /** Queues a line; with a dedupe key a line is queued once ever (until purged). Returns false for a duplicate. */
  append(line: string, dedupe: string | null = null): boolean {
    const inserted = this.storage.sql
      .exec(`INSERT INTO ${this.table} (dedupe, line) VALUES (?, ?) ON CONFLICT (dedupe) DO NOTHING RETURNING id`, dedupe, line)
      .toArray();
    if (inserted.length === 0) return false;
    this.pending += 1;
    if (this.pending > this.maxPending) {
      const excess = this.pending - this.maxPending;
      this.storage.sql.exec(
        `DELETE FROM ${this.table} WHERE id IN (SELECT id FROM ${this.table} WHERE delivered = 0 ORDER BY id LIMIT ?)`,
        excess,
      );
      this.pending -= excess;
      this.bump("dropped", excess);
    }
    return true;
  }

  hasPending(): boolean {
    return this.pending > 0;
  }

  takeBatch(maxLines: number): OutboxBatch | null {
    const rows = this.storage.sql
      .exec<{ id: number; line: string }>(
        `SELECT id, line FROM ${this.table} WHERE delivered = 0 ORDER BY id LIMIT ?`,
        maxLines,
      )
      .toArray();
    if (rows.length === 0) return null;
    return { firstId: rows[0]!.id, lastId: rows[rows.length - 1]!.id, lines: rows.map((row) => row.line) };
  }

  /** Marks a batch delivered. Deduplicated lines stay (as delivered) so a replay is still refused. */
  confirm(batch: OutboxBatch): void {
    const delivered = this.storage.sql.exec(
      `UPDATE ${this.table} SET delivered = 1 WHERE delivered = 0 AND id BETWEEN ? AND ?`,
      batch.firstId,
      batch.lastId,
    ).rowsWritten;
    this.storage.sql.exec(`DELETE FROM ${this.table} WHERE dedupe IS NULL AND delivered = 1`);
    this.pending -= delivered;
    this.bump("delivered", delivered);
    this.resetAttempts();
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

  private countPending(): number {
    const [row] = this.storage.sql
      .exec<{ n: number }>(`SELECT COUNT(*) AS n FROM ${this.table} WHERE delivered = 0`)
      .toArray();
    return row?.n ?? 0;
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

  private resetAttempts(): void {
    this.sql`DELETE FROM outbox_counters WHERE name = ${`${this.table}.attempts`}`;
  }
}
