import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { LogBuffer } from "../../src/modules/log-buffer";

describe("LogBuffer", () => {
  it("hands out the oldest lines in batches", () => {
    const buffer = new LogBuffer({ maxLines: 10, maxBatch: 3 });
    for (let i = 1; i <= 5; i++) buffer.push(`l${i}`);
    expect(buffer.takeBatch()).toEqual(["l1", "l2", "l3"]);
    expect(buffer.takeBatch()).toEqual(["l4", "l5"]);
    expect(buffer.takeBatch()).toEqual([]);
    expect(buffer.stats()).toEqual({ buffered: 0, dropped: 0, flushed: 5, failed_flushes: 0 });
  });

  it("drops and counts the oldest lines when full", () => {
    const buffer = new LogBuffer({ maxLines: 3, maxBatch: 10 });
    for (let i = 1; i <= 5; i++) buffer.push(`l${i}`);
    expect(buffer.stats()).toEqual({ buffered: 3, dropped: 2, flushed: 0, failed_flushes: 0 });
    expect(buffer.takeBatch()).toEqual(["l3", "l4", "l5"]);
  });

  it("requeues a failed batch in front, in order", () => {
    const buffer = new LogBuffer({ maxLines: 10, maxBatch: 2 });
    for (let i = 1; i <= 4; i++) buffer.push(`l${i}`);
    const batch = buffer.takeBatch();
    buffer.push("l5");
    buffer.requeue(batch);
    expect(buffer.stats()).toEqual({ buffered: 5, dropped: 0, flushed: 0, failed_flushes: 1 });
    expect([buffer.takeBatch(), buffer.takeBatch(), buffer.takeBatch()]).toEqual([["l1", "l2"], ["l3", "l4"], ["l5"]]);
  });

  it("keeps the bound on requeue, dropping the oldest", () => {
    const buffer = new LogBuffer({ maxLines: 3, maxBatch: 2 });
    for (let i = 1; i <= 3; i++) buffer.push(`l${i}`);
    const batch = buffer.takeBatch();
    buffer.push("l4");
    buffer.push("l5");
    buffer.requeue(batch);
    expect(buffer.stats()).toEqual({ buffered: 3, dropped: 2, flushed: 0, failed_flushes: 1 });
    expect(buffer.takeBatch()).toEqual(["l3", "l4"]);
  });

  it("keeps every line accounted for, in order, under any sequence of operations", () => {
    type Op = { kind: "push" } | { kind: "flush"; ok: boolean };
    const opArb: fc.Arbitrary<Op> = fc.oneof(
      { weight: 4, arbitrary: fc.constant<Op>({ kind: "push" }) },
      { weight: 1, arbitrary: fc.boolean().map<Op>((ok) => ({ kind: "flush", ok })) },
    );
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 20 }), fc.integer({ min: 1, max: 8 }), fc.array(opArb, { maxLength: 200 }), (maxLines, maxBatch, ops) => {
        const buffer = new LogBuffer<number>({ maxLines, maxBatch });
        let pushed = 0;
        const delivered: number[] = [];
        for (const op of ops) {
          if (op.kind === "push") buffer.push(pushed++);
          else {
            const batch = buffer.takeBatch();
            expect(batch.length).toBeLessThanOrEqual(maxBatch);
            if (op.ok) delivered.push(...batch);
            else buffer.requeue(batch);
          }
          const stats = buffer.stats();
          expect(stats.buffered).toBeLessThanOrEqual(maxLines);
          expect(stats.buffered + stats.dropped + stats.flushed).toBe(pushed);
        }
        delivered.push(...buffer.takeBatch());
        // Delivered lines are strictly increasing: order is kept and nothing is delivered twice.
        expect(delivered.every((n, i) => i === 0 || n > delivered[i - 1]!)).toBe(true);
      }),
      { numRuns: 500 },
    );
  });

  it("backs off exponentially up to the cap, with injectable jitter", () => {
    const low = new LogBuffer({ maxLines: 1, maxBatch: 1, baseDelayMs: 1000, maxDelayMs: 60_000, random: () => 0 });
    const high = new LogBuffer({ maxLines: 1, maxBatch: 1, baseDelayMs: 1000, maxDelayMs: 60_000, random: () => 0.999999 });
    expect([0, 1, 2, 3, 6, 7, 50].map((a) => low.nextRetryDelayMs(a))).toEqual([500, 1000, 2000, 4000, 30_000, 30_000, 30_000]);
    expect([0, 1, 2, 3, 6, 7, 50].map((a) => high.nextRetryDelayMs(a))).toEqual([999, 1999, 3999, 7999, 59_999, 59_999, 59_999]);
    expect(low.nextRetryDelayMs(-3)).toBe(500);
    expect(low.nextRetryDelayMs(Number.NaN)).toBe(500);
  });

  it("refuses a nonsensical bound", () => {
    expect(() => new LogBuffer({ maxLines: 0, maxBatch: 1 })).toThrow(RangeError);
    expect(() => new LogBuffer({ maxLines: 1, maxBatch: 1.5 })).toThrow(RangeError);
  });
});
