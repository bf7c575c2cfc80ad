/** Requests per UTC hour, as the Worker's batches count them, kept 35 days. */
import { env } from "cloudflare:workers";
import { runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { sqlTag } from "../../src/objects/sql";
import { TrafficCounter } from "../../src/objects/traffic";

const at = (iso: string) => new Date(iso).getTime();
const count = (hour: string, requests: number, path_class = "collect", status_class = "2xx", recovered = false) =>
  ({ hour, path_class, status_class, recovered, requests });

describe("TrafficCounter", () => {
  it("adds each batch's counts to its bucket and forgets hours older than 35 days", async () => {
    await runInDurableObject(env.CONTAINER.get(env.CONTAINER.idFromName("traffic-test")), (_instance, state) => {
      const traffic = new TrafficCounter(sqlTag(state.storage));
      traffic.record([count("2026-10-01T05", 1)], at("2026-10-01T05:10:01Z"));
      traffic.record([count("2026-11-20T10", 2), count("2026-11-20T10", 1, "recovery", "2xx", true)], at("2026-11-20T10:59:00Z"));
      traffic.record([count("2026-11-20T10", 3), count("2026-11-20T11", 1, "gtm", "5xx")], at("2026-11-20T11:00:01Z"));
      expect(traffic.range("2026-09-01T00", "2026-12-01T00")).toEqual([
        count("2026-11-20T10", 5),
        count("2026-11-20T10", 1, "recovery", "2xx", true),
        count("2026-11-20T11", 1, "gtm", "5xx"),
      ]);
      expect(traffic.range("2026-11-20T11", "2026-11-20T11")).toHaveLength(1);
    });
  });
});
