import { env } from "cloudflare:workers";
import { runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { Outbox } from "../../src/objects/outbox";
import { sqlTag } from "../../src/objects/sql";

function withOutbox<T>(name: string, maxLines: number, use: (outbox: Outbox, storage: DurableObjectStorage) => T) {
  const stub = env.CONTAINER.get(env.CONTAINER.idFromName(`outbox-test-${name}`));
  return runInDurableObject(stub, (_instance, state) =>
    use(new Outbox(sqlTag(state.storage), state.storage, `test_${name}`, maxLines), state.storage),
  );
}

describe("Outbox", () => {
  it("keeps entries in order until confirmed, across a reload of the object's state", async () => {
    await withOutbox("order", 100, (outbox, storage) => {
      outbox.append("a\nb", 2);
      outbox.append("c", 1);
      const batch = outbox.takeBatch(10)!;
      expect(batch.bodies).toEqual(["a\nb", "c"]);
      expect(batch.lines).toBe(3);
      const reloaded = new Outbox(sqlTag(storage), storage, "test_order", 100);
      expect(reloaded.stats().pending).toBe(3);
      reloaded.confirm(batch);
      expect(reloaded.stats()).toMatchObject({ pending: 0, delivered: 3 });
      expect(reloaded.takeBatch(10)).toBeNull();
    });
  });

  it("takes at most maxLines per batch, but always at least one entry", async () => {
    await withOutbox("batch", 100, (outbox) => {
      outbox.append("1\n2\n3", 3);
      outbox.append("4\n5", 2);
      expect(outbox.takeBatch(4)!.bodies).toEqual(["1\n2\n3"]);
      expect(outbox.takeBatch(1)!.lines).toBe(3);
    });
  });

  it("drops the oldest entries beyond the bound and counts their lines", async () => {
    await withOutbox("bound", 4, (outbox) => {
      outbox.append("a\nb", 2);
      outbox.append("c\nd", 2);
      outbox.append("e", 1);
      expect(outbox.stats()).toMatchObject({ pending: 3, dropped: 2 });
      expect(outbox.takeBatch(10)!.bodies).toEqual(["c\nd", "e"]);
    });
  });

  it("refuses a duplicate dedupe key even after delivery", async () => {
    await withOutbox("dedupe", 100, (outbox) => {
      expect(outbox.append("{}", 1, "session-1")).toBe(true);
      expect(outbox.append("{}", 1, "session-1")).toBe(false);
      outbox.confirm(outbox.takeBatch(10)!);
      expect(outbox.append("{}", 1, "session-1")).toBe(false);
      outbox.purgeDelivered(0);
      expect(outbox.append("{}", 1, "session-1")).toBe(true);
    });
  });

  it("backs off exponentially on failures and resets after a delivery", async () => {
    await withOutbox("backoff", 100, (outbox) => {
      outbox.append("x");
      expect([outbox.failed(), outbox.failed(), outbox.failed()]).toEqual([2_000, 4_000, 8_000]);
      outbox.confirm(outbox.takeBatch(10)!);
      outbox.append("y");
      expect(outbox.failed()).toBe(2_000);
      expect(outbox.stats().failed_deliveries).toBe(4);
    });
  });
});
