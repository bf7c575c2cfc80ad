// Pure parts of the dashboard's data (scripts/dev/dashboard/data.mjs): charts, shares and the
// quota gauge from the read APIs' rows, and open alerts while the alerts table may not exist.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { containerCharts, openAlerts, quotaGauge } from "../../scripts/dev/dashboard/data.mjs";

const NOW = Date.parse("2026-12-01T10:30:00Z");
const row = (hour, path_class, status_class, recovered, requests) => ({ hour, path_class, status_class, recovered, requests });

describe("containerCharts", () => {
  const charts = containerCharts(
    [{ day: "2026-12-01", requests: 40 }, { day: "2026-11-02", requests: 7 }, { day: "2026-10-01", requests: 99 }],
    [
      row("2026-12-01T10", "collect", "2xx", false, 5),
      row("2026-12-01T10", "recovery", "2xx", true, 2),
      row("2026-12-01T09", "collect", "2xx", true, 1),
      row("2026-12-01T09", "loader", "2xx", false, 3),
      row("2026-11-29T08", "other", "4xx", false, 4),
      row("2026-10-20T08", "collect", "5xx", false, 50),
    ],
    NOW,
  );

  it("has 30 days ending today (billed from Postgres, served from the edge) and 48 hours ending now", () => {
    assert.equal(charts.days.day.length, 30);
    assert.deepEqual([charts.days.day[0], charts.days.day.at(-1)], ["2026-11-02", "2026-12-01"]);
    assert.deepEqual([charts.days.billed[0], charts.days.billed.at(-1)], [7, 40]);
    assert.equal(charts.days.billed.reduce((a, b) => a + b), 47, "a day before the window is left out");
    assert.deepEqual(charts.days.served.slice(-3), [4, 0, 11]);
    assert.deepEqual([charts.hours.hour[0], charts.hours.hour.at(-1)], ["2026-11-29T11", "2026-12-01T10"]);
    assert.deepEqual([charts.hours.total.at(-1), charts.hours.total.at(-2)], [7, 4]);
    assert.equal(charts.hours["4xx"].reduce((a, b) => a + b), 0, "29 Nov 08:00 is more than 48 hours ago");
  });

  it("takes the recovery share over sGTM requests only, and the status mix over everything in 30 days", () => {
    assert.deepEqual(charts.recovery, { recovered: 3, plain: 5, share: 3 / 8 });
    assert.deepEqual(charts.status_mix, { "2xx": 11, "3xx": 0, "4xx": 4, "5xx": 0, other: 0, total: 15 });
    assert.equal(containerCharts([], [], NOW).recovery.share, null);
  });
});

describe("quotaGauge", () => {
  it("shows the higher of the edge's live count and billing's copy against the plan's limit", () => {
    const quota = { plan_id: "pro", monthly_request_limit: "1000", month_requests: "800", auto_upgrade: false };
    const inspection = { config: { plan: { monthly_request_limit: 1000, auto_upgrade: false } }, usage: { month_requests: 900 } };
    assert.deepEqual(quotaGauge(quota, inspection), { plan_id: "pro", limit: 1000, used: 900, edge: 900, billed: 800, share: 0.9, auto_upgrade: false });
    assert.equal(quotaGauge(quota, null).used, 800);
    assert.equal(quotaGauge({ ...quota, monthly_request_limit: null }, null).share, null);
  });
});

describe("openAlerts", () => {
  const db = (answer) => ({ from: () => ({ select: () => ({ eq: () => ({ eq: () => ({ order: async () => answer }) }) }) }) });

  it("says there is no alerts table yet when the relation is missing, lists open alerts when it is there", async () => {
    assert.deepEqual(await openAlerts(db({ data: null, error: { code: "42P01", message: "relation does not exist" } }), "x"), { available: false, open: [] });
    assert.deepEqual(await openAlerts(db({ data: null, error: { code: "PGRST205", message: "not in the schema cache" } }), "x"), { available: false, open: [] });
    assert.deepEqual(await openAlerts(db({ data: [{ kind: "quota_80" }], error: null }), "x"), { available: true, open: [{ kind: "quota_80" }] });
    await assert.rejects(openAlerts(db({ data: null, error: { code: "42501", message: "permission denied" } }), "x"), /permission denied/);
  });
});
