/**
 * Bounded FIFO of raw log lines waiting for an R2 put. Pure: the Durable
 * Object takes a batch in its alarm, puts it, and requeues it on failure.
 * When full, the oldest lines are dropped (and counted): logs never grow
 * without bound and never block a request.
 */

export interface LogBufferOptions {
  maxLines: number;
  maxBatch: number;
  /** First retry delay; doubles per attempt. */
  baseDelayMs?: number;
  maxDelayMs?: number;
  /** [0, 1) source for jitter; injectable for tests. */
  random?: () => number;
}

export interface LogBufferStats {
  buffered: number;
  dropped: number;
  flushed: number;
  failed_flushes: number;
}

export class LogBuffer<T = string> {
  private lines: T[] = [];
  private head = 0;
  private dropped = 0;
  private flushed = 0;
  private failedFlushes = 0;
  private readonly maxLines: number;
  private readonly maxBatch: number;
  private readonly baseDelayMs: number;
  private readonly maxDelayMs: number;
  private readonly random: () => number;

  constructor(options: LogBufferOptions) {
    if (!Number.isInteger(options.maxLines) || options.maxLines < 1) throw new RangeError("maxLines must be an integer >= 1");
    if (!Number.isInteger(options.maxBatch) || options.maxBatch < 1) throw new RangeError("maxBatch must be an integer >= 1");
    this.maxLines = options.maxLines;
    this.maxBatch = options.maxBatch;
    this.baseDelayMs = options.baseDelayMs ?? 1_000;
    this.maxDelayMs = options.maxDelayMs ?? 5 * 60_000;
    this.random = options.random ?? Math.random;
  }

  get size(): number {
    return this.lines.length - this.head;
  }

  push(entry: T): void {
    this.lines.push(entry);
    this.trimToBound();
  }

  /** The oldest lines, up to maxBatch. They count as flushed unless requeued. */
  takeBatch(): T[] {
    const batch = this.lines.slice(this.head, this.head + this.maxBatch);
    this.head += batch.length;
    this.compact();
    this.flushed += batch.length;
    return batch;
  }

  /** A batch whose put failed goes back in front, in order; the bound still holds (oldest dropped first). */
  requeue(batch: readonly T[]): void {
    if (batch.length === 0) return;
    this.failedFlushes += 1;
    this.flushed -= Math.min(batch.length, this.flushed);
    this.lines = [...batch, ...this.lines.slice(this.head)];
    this.head = 0;
    this.trimToBound();
  }

  /** Exponential backoff: base * 2^attempt, capped, with equal jitter (half fixed, half random). */
  nextRetryDelayMs(attempt: number): number {
    const exponent = Number.isFinite(attempt) ? Math.min(Math.max(Math.floor(attempt), 0), 30) : 0;
    const ceiling = Math.min(this.maxDelayMs, this.baseDelayMs * 2 ** exponent);
    return Math.floor(ceiling / 2 + this.random() * (ceiling / 2));
  }

  stats(): LogBufferStats {
    return { buffered: this.size, dropped: this.dropped, flushed: this.flushed, failed_flushes: this.failedFlushes };
  }

  private trimToBound(): void {
    const overflow = this.size - this.maxLines;
    if (overflow <= 0) return;
    this.head += overflow;
    this.dropped += overflow;
    this.compact();
  }

  /** Reclaim the consumed prefix once it is half the array, so push and take stay amortised O(1). */
  private compact(): void {
    if (this.head > 0 && this.head * 2 >= this.lines.length) {
      this.lines = this.lines.slice(this.head);
      this.head = 0;
    }
  }
}
