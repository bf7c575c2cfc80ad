/** The hourly tally of a batch's requests (what the Worker hands its object instead of lines to parse). */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { statusClass, TrafficTally, utcHour } from "../../src/modules/log-query";

const at = (iso: string) => new Date(iso).getTime();
const request = (iso: string, status: number, path_class: "collect" | "gtm" | "recovery" = "collect", recovered = false) =>
  ({ ts: at(iso), status, path_class, recovered });

describe("TrafficTally", () => {
  it("counts requests per UTC hour, path class, status class and recovered flag", () => {
    const tally = new TrafficTally();
    for (const entry of [
      request("2026-11-20T10:00:00Z", 204), request("2026-11-20T10:59:59.999Z", 200), request("2026-11-20T10:30:00Z", 204, "recovery", true),
      request("2026-11-20T11:00:00Z", 502, "gtm"), request("2026-11-20T11:00:00Z", 99, "gtm"),
    ]) tally.add(entry);
    expect(tally.list).toEqual([
      { hour: "2026-11-20T10", path_class: "collect", status_class: "2xx", recovered: false, requests: 2 },
      { hour: "2026-11-20T10", path_class: "recovery", status_class: "2xx", recovered: true, requests: 1 },
      { hour: "2026-11-20T11", path_class: "gtm", status_class: "5xx", recovered: false, requests: 1 },
      { hour: "2026-11-20T11", path_class: "gtm", status_class: "other", recovered: false, requests: 1 },
    ]);
  });

  it("loses no request and keys each by its own hour (property)", () => {
    const entry = fc.record({
      ts: fc.integer({ min: at("2020-01-01T00:00:00Z"), max: at("2030-01-01T00:00:00Z") }),
      status: fc.integer({ min: 0, max: 999 }),
      path_class: fc.constantFrom("collect" as const, "gtm" as const, "loader" as const),
      recovered: fc.boolean(),
    });
    fc.assert(
      fc.property(fc.array(entry, { maxLength: 200 }), (entries) => {
        const tally = new TrafficTally();
        for (const e of entries) tally.add(e);
        const list = tally.list;
        expect(list.reduce((sum, c) => sum + c.requests, 0)).toBe(entries.length);
        for (const e of entries) {
          const bucket = list.find((c) => c.hour === utcHour(e.ts) && c.path_class === e.path_class &&
            c.status_class === statusClass(e.status) && c.recovered === e.recovered);
          expect(bucket).toBeDefined();
        }
        expect(new Set(list.map((c) => `${c.hour} ${c.path_class} ${c.status_class} ${c.recovered}`)).size).toBe(list.length);
      }),
    );
  });
});
