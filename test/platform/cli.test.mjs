// Pure parts of the operator tooling: CLI arguments and targets, tables, usage windows,
// `npm start` options and the dashboard rows.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { dashboardRows } from "../../scripts/dev/dashboard/data.mjs";
import { parseCliArgs, resolveTarget, table, UsageError, usageWindow } from "../../scripts/dev/cli/parts.mjs";
import { describePowerUps, parsePowerUpChanges } from "../../scripts/dev/cli/power-ups.mjs";
import { summary } from "../../scripts/dev/platform/jobs.mjs";
import { parseStartOptions } from "../../scripts/dev/platform/options.mjs";

const ID = "3fa93dfa-9496-4cc8-b657-8e00c8b38c98";

describe("parseCliArgs", () => {
  it("reads commands, ids and flags", () => {
    assert.deepEqual(parseCliArgs(["usage", ID, "--days", "3", "--json"]), {
      command: "usage", id: ID, flags: { days: 3, json: true },
    });
    assert.deepEqual(parseCliArgs(["pause", ID, "--reason", "unpaid invoice"]).flags, { reason: "unpaid invoice" });
    assert.equal(parseCliArgs(["--help"]).command, "help");
  });

  it("reads alerts [--all] and alerts test <id>", () => {
    assert.deepEqual(parseCliArgs(["alerts", "--all"]), { command: "alerts", id: undefined, flags: { all: true } });
    assert.deepEqual(parseCliArgs(["alerts", "test", ID]), { command: "alerts-test", id: ID, flags: {} });
  });

  it("reads the same-origin commands: a container and flags, or the site's URL", () => {
    assert.deepEqual(parseCliArgs(["proxy-config", ID, "--site", "www.example.com", "--kind", "caddy"]), {
      command: "proxy-config", id: ID, flags: { site: "www.example.com", kind: "caddy" },
    });
    assert.deepEqual(parseCliArgs(["check-site", "https://example.com/metrics", "--edge-host", "abc.trqaxal.com"]), {
      command: "check-site", url: "https://example.com/metrics", flags: { "edge-host": "abc.trqaxal.com" },
    });
  });

  it("reads the domain commands: a container and a hostname, or a domain id", () => {
    assert.deepEqual(parseCliArgs(["domains", ID]), { command: "domains", id: ID, flags: {} });
    assert.deepEqual(parseCliArgs(["domain", "add", ID, "shop.example.com", "--site", ID]), {
      command: "domain add", id: ID, host: "shop.example.com", flags: { site: ID },
    });
    assert.deepEqual(parseCliArgs(["domain", "verify", ID.toUpperCase(), "--token", "a.b.c"]), {
      command: "domain verify", id: ID, host: undefined, flags: { token: "a.b.c" },
    });
    assert.equal(parseCliArgs(["domain", "rm", ID]).command, "domain rm");
  });

  it("reads power-ups <id> [FIELD=VALUE …] into the call's body", () => {
    assert.deepEqual(parseCliArgs(["power-ups", ID, "anonymizer=always", "--token", "jwt"]), {
      command: "power-ups", id: ID, words: ["anonymizer=always"], flags: { token: "jwt" },
    });
    assert.deepEqual(parsePowerUpChanges([
      "bot_filter=block", "bot_score_below=20", "blocked_ips=10.0.0.0/8, 2001:db8::/32", "device_geo_headers=true",
      "click_id_restore=false", "anonymizer=null", "preview_header=ZW52LTV8b3VK",
    ]), {
      bot_filter: "block", bot_score_below: 20, blocked_ips: ["10.0.0.0/8", "2001:db8::/32"], device_geo_headers: true,
      click_id_restore: false, anonymizer: null, preview_header: "ZW52LTV8b3VK",
    });
    assert.deepEqual(parsePowerUpChanges(["blocked_ips="]), { blocked_ips: [] });
    for (const word of ["teleport=true", "bot_filter", "=x"]) {
      assert.throws(() => parsePowerUpChanges([word]), (e) => e instanceof UsageError && /expected FIELD=VALUE/.test(e.message));
    }
    const shown = describePowerUps(ID, { config_version: 7, power_ups: { anonymizer: "consent", bot_filter: "block" }, pushed: { bot_filter: "block" } });
    assert.match(shown, /bot_filter\s+"block"\s+"block"/);
    assert.match(shown, /anonymizer\s+"consent"\s+–/);
  });

  for (const [argv, message] of [
    [["power-ups"], /power-ups needs a container id/],
    [[], /no command/],
    [["nuke"], /unknown command nuke/],
    [["inspect"], /needs a container id/],
    [["drift", ID], /takes no argument/],
    [["inspect", "abc"], /not a container id/],
    [["pause", ID], /needs --reason/],
    [["pause", ID, "--reason"], /--reason needs a value/],
    [["token"], /needs --email/],
    [["usage", ID, "--days", "0"], /--days must be/],
    [["usage", ID, "--days", "2.5"], /--days must be/],
    [["containers", "--force"], /unknown option --force/],
    [["proxy-config", ID, "--site", "example.com"], /needs --site HOST and --kind KIND/],
    [["proxy-config", "--site", "example.com", "--kind", "nginx"], /needs a container id/],
    [["check-site"], /needs the site's URL with its path prefix/],
    [["domains"], /needs a container id/],
    [["domain"], /domain needs an action: add, verify, rm/],
    [["domain", "move", ID], /domain needs an action/],
    [["domain", "add", ID], /needs the container id and the hostname/],
    [["domain", "verify", "abc"], /abc is not a domain id/],
    [["domain", "rm", ID, "extra"], /needs the domain id/],
    [["domain", "verify", ID, "--site", ID], /--site goes with domain add/],
    [["alerts", "test"], /alerts test needs a container id/],
    [["alerts", "test", "abc"], /alerts test needs a container id/],
    [["alerts", ID], /alerts takes no argument/],
  ]) {
    it(`refuses ${JSON.stringify(argv)}`, () => assert.throws(() => parseCliArgs(argv), (e) => e instanceof UsageError && message.test(e.message)));
  }
});

describe("resolveTarget", () => {
  const local = { edge_url: "http://127.0.0.1:8787", edge_admin_token: "local-admin", functions_url: "http://127.0.0.1:54321/functions/v1", service_role_key: "local-srk" };

  it("uses the local platform by default", () => {
    assert.deepEqual(resolveTarget({}, {}, local), {
      edgeUrl: local.edge_url, adminToken: "local-admin", functionsUrl: local.functions_url, serviceRoleKey: "local-srk",
      accessToken: undefined,
    });
    assert.equal(resolveTarget({}, {}, { ...local, demo: { owner_jwt: "local.owner.jwt" } }).accessToken, "local.owner.jwt");
    assert.equal(resolveTarget({ token: "given.jwt" }, { QAXAL_ACCESS_TOKEN: "env.jwt" }, local).accessToken, "given.jwt");
  });

  it("never sends the local tokens to a deployed URL", () => {
    const target = resolveTarget({ "edge-url": "https://edge.example.com" }, { SUPABASE_URL: "https://p.supabase.co" }, local);
    assert.equal(target.adminToken, undefined);
    assert.equal(target.serviceRoleKey, undefined);
    assert.equal(resolveTarget({ "functions-url": "https://p.supabase.co/functions/v1" }, {}, { ...local, demo: { owner_jwt: "local.jwt" } }).accessToken, undefined);
    assert.equal(target.functionsUrl, "https://p.supabase.co/functions/v1");
  });

  it("takes deployed tokens from env", () => {
    const env = { EDGE_URL: "https://edge.example.com", EDGE_ADMIN_TOKEN: "prod-admin" };
    assert.equal(resolveTarget({}, env, null).adminToken, "prod-admin");
  });
});

describe("usageWindow", () => {
  it("spans N UTC days ending today, across a month end", () => {
    assert.deepEqual(usageWindow(3, new Date("2026-03-01T23:59:00Z")), { from: "2026-02-27", to: "2026-03-01" });
    assert.deepEqual(usageWindow(1, new Date("2026-03-01T00:00:00Z")), { from: "2026-03-01", to: "2026-03-01" });
  });
});

describe("table", () => {
  it("aligns columns under their headers and shows a dash for missing values", () => {
    const text = table([{ a: "x", b: 10 }, { a: "longer", b: null }], [["name", (r) => r.a], ["n", (r) => r.b]]);
    assert.equal(text, ["name    n", "------  --", "x       10", "longer  –"].join("\n"));
  });
});

describe("parseStartOptions", () => {
  it("has local defaults and takes flags over env", () => {
    assert.deepEqual(parseStartOptions([], {}, "/repo"), { headless: false, ports: "fixed", dataDir: "/repo/.data", jobsEverySeconds: 60 });
    const options = parseStartOptions(["--ports", "random", "--data-dir", "/tmp/x"], { QAXAL_PORTS: "fixed", QAXAL_HEADLESS: "1" }, "/repo");
    assert.deepEqual(options, { headless: true, ports: "random", dataDir: "/tmp/x", jobsEverySeconds: 60 });
  });

  it("refuses unknown flags and bad values", () => {
    assert.throws(() => parseStartOptions(["--port", "1"], {}, "/"), /unknown argument --port/);
    assert.throws(() => parseStartOptions(["--ports", "some"], {}, "/"), /fixed or random/);
    assert.throws(() => parseStartOptions(["--jobs-every", "0"], {}, "/"), /seconds >= 1/);
    assert.throws(() => parseStartOptions(["--data-dir"], {}, "/"), /needs a value/);
  });
});

describe("dashboardRows", () => {
  const inspection = (version, extra = {}) => ({
    status: 200,
    body: {
      config_version: version, paused: null, usage: { day_requests: 3, month_requests: 40 },
      logs: { dropped: 0, failed_flushes: 0 }, detections: { failed_deliveries: 0 }, ...extra,
    },
  });
  const dbRow = { id: ID, name: "Shop", status: "active", config_version: 4, sessions: "10", blocked_sessions: "3" };

  it("joins the edge and the database view, with the recovery rate", () => {
    const [row] = dashboardRows(new Map([[ID, inspection(4)]]), [dbRow]);
    assert.deepEqual(row, {
      id: ID, name: "Shop", status: "active", db_version: 4, edge_version: 4, paused: null,
      day_requests: 3, month_requests: 40, sessions_30d: 10, recovery_rate: 0.3, errors: [],
    });
  });

  it("reports drift, sync errors, dropped logs and containers missing at the edge", () => {
    const other = "00000000-0000-4000-8000-000000000001";
    const rows = dashboardRows(
      new Map([[ID, inspection(3, { logs: { dropped: 2, failed_flushes: 1 } })]]),
      [{ ...dbRow, sync_error: "edge answered 503" }, { ...dbRow, id: other, sessions: "0", blocked_sessions: "0" }],
    );
    assert.deepEqual(rows.find((r) => r.id === ID).errors, [
      "drift: database v4, edge v3", "sync: edge answered 503", "2 log lines dropped", "1 failed log flushes to R2",
    ]);
    const missing = rows.find((r) => r.id === other);
    assert.deepEqual(missing.errors, ["not at the edge"]);
    assert.equal(missing.recovery_rate, null);
  });
});

describe("jobs summary", () => {
  it("says what billing and the drift check did, and shows a refusal as such", () => {
    const ok = summary({
      billing: { status: 200, body: { containers: 2, paused: ["a"], upgraded: [], resumed: [] } },
      drift: { status: 200, body: { checked: 2, repaired: [], failed: ["b"] } },
    });
    assert.equal(ok, "jobs: billing 2 container(s), paused a, upgraded none; drift 2 checked, repaired none, failed b");
    const refused = summary({ billing: { status: 401, body: { error: "unauthorized" } }, drift: { status: 200, body: { checked: 0, repaired: [], failed: [] } } });
    assert.match(refused, /billing answered 401 \{"error":"unauthorized"\}/);
    const withAlerts = summary({
      billing: { status: 200, body: { containers: 1, paused: [], upgraded: [], resumed: [] } },
      drift: { status: 200, body: { checked: 1, repaired: [], failed: [] } },
      alerts: { status: 200, body: { open: 1, opened: [{ kind: "origin_down", container_id: "c" }], resolved: [], deliveries: { delivered: ["d1", "d2"] } } },
    });
    assert.match(withAlerts, /; alerts 1 open, opened origin_down c, resolved none, 2 sent$/);
  });
});
