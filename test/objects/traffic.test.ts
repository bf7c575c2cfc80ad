/** Requests per UTC hour counted from access-log lines, kept 35 days. */
import { env } from "cloudflare:workers";
import { runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { sqlTag } from "../../src/objects/sql";
import { TrafficCounter } from "../../src/objects/traffic";

const at = (iso: string) => new Date(iso).getTime();
const line = (iso: string, status: number, path_class = "collect", recovered = false) =>
  JSON.stringify({ ts: at(iso), status, path_class, recovered });

describe("TrafficCounter", () => {
  it("sums lines per hour and bucket, skips lines that are not entries, and forgets hours older than 35 days", async () => {
    await runInDurableObject(env.CONTAINER.get(env.CONTAINER.idFromName("traffic-test")), (_instance, state) => {
      const traffic = new TrafficCounter(sqlTag(state.storage));
      traffic.record([line("2026-10-01T05:10:00Z", 204)], at("2026-10-01T05:10:01Z"));
      traffic.record([
        line("2026-11-20T10:01:00Z", 204), line("2026-11-20T10:59:59Z", 200), line("2026-11-20T10:30:00Z", 204, "recovery", true),
        line("2026-11-20T11:00:00Z", 502, "gtm"), "not json", JSON.stringify({ ts: "x" }),
      ], at("2026-11-20T11:00:01Z"));
      expect(traffic.range("2026-09-01T00", "2026-12-01T00")).toEqual([
        { hour: "2026-11-20T10", path_class: "collect", status_class: "2xx", recovered: false, requests: 2 },
        { hour: "2026-11-20T10", path_class: "recovery", status_class: "2xx", recovered: true, requests: 1 },
        { hour: "2026-11-20T11", path_class: "gtm", status_class: "5xx", recovered: false, requests: 1 },
      ]);
      expect(traffic.range("2026-11-20T11", "2026-11-20T11")).toHaveLength(1);
    });
  });
});
