// The operator dashboard in real Chromium on the platform of `npm start` (headless, random
// ports, a throwaway data directory): seeded usage and sessions in Postgres, real requests
// through the Worker (plain hits, recovered hits, the loader, a 404), their log lines in R2,
// and an alert raised by the alerts job. The page must chart exactly that data (asserted on
// the charts' own data arrays), show the shares, quota, domains and the alert, and its log
// filters must narrow the lines. A screenshot goes to test-results/dashboard.png.
// Run through scripts/test-browser.mjs, which bounds and cleans up the whole run.
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { request } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import postgres from "postgres";
import { launchChromium, waitFor } from "./browser.mjs";

const root = fileURLToPath(new URL("../..", import.meta.url));
const START_TIMEOUT_MS = 120_000;
const SCREENSHOT = join(root, "test-results", "dashboard.png");
const DAY_MS = 86_400_000;
const QUOTA_USED_TODAY = 8_500_000; // of the pro plan's 10,000,000: quota_80

/** `npm start` as a child of this test; resolves with local.json once it is ready. */
function startPlatform(dataDir) {
  const child = spawn(process.execPath, [
    "scripts/start.mjs", "--headless", "--ports", "random", "--data-dir", dataDir, "--jobs-every", "3600",
  ], { cwd: root, stdio: ["ignore", "pipe", "pipe"] });
  let output = "";
  const ready = new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`not ready after ${START_TIMEOUT_MS} ms:\n${output}`)), START_TIMEOUT_MS);
    const onData = (chunk) => {
      output += chunk;
      const match = /ready (\S+local\.json)/.exec(output);
      if (match) {
        clearTimeout(timer);
        resolve(JSON.parse(readFileSync(match[1], "utf8")));
      }
    };
    child.stdout.on("data", onData);
    child.stderr.on("data", onData);
    child.once("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`npm start exited (${code}) before ready:\n${output}`));
    });
  });
  const exited = new Promise((resolve) => child.once("exit", resolve));
  return { child, ready, exited, output: () => output };
}

/** GET through the Worker with a public Host header. */
function getVia(edgeUrl, host, path) {
  const { hostname, port } = new URL(edgeUrl);
  return new Promise((resolve, reject) => {
    const req = request({ hostname, port, path, headers: { host } }, (res) => {
      res.resume();
      res.on("end", () => resolve(res.statusCode));
    });
    req.on("error", reject);
    req.end();
  });
}

const waitUp = (what, probe) => waitFor(what, probe, 30_000, 250);

describe("the operator dashboard in Chromium", () => {
  const dataDir = mkdtempSync(join(tmpdir(), "qaxal-dashboard-e2e-"));
  let platform;
  let local;
  let news;
  let browser;
  let page;
  const seededDays = [];
  const seededDayRows = [];

  before(async () => {
    platform = startPlatform(dataDir);
    local = await platform.ready;
    if (process.env.E2E_PID_DIR) {
      for (const [name, pid] of Object.entries(local.processes)) {
        if (name !== "start") writeFileSync(join(process.env.E2E_PID_DIR, `dashboard-${name}-${pid}`), String(pid));
      }
    }
    news = local.demo.containers.find((c) => c.name.startsWith("Demo news"));
    const admin = (path) => fetch(`${local.edge_url}/_edge/admin/containers/${news.id}/${path}`, {
      headers: { authorization: `Bearer ${local.edge_admin_token}` },
    }).then((r) => r.json());

    // Postgres: 30 days of billed usage (today near the quota) and ten loader sessions, six blocked.
    const sql = postgres(local.database_url, { max: 1, prepare: false, onnotice: () => {} });
    try {
      const now = Date.now();
      for (let i = 29; i >= 0; i--) {
        const day = new Date(now - i * DAY_MS).toISOString().slice(0, 10);
        const requests = i === 0 ? QUOTA_USED_TODAY : 1000 + (29 - i) * 10;
        seededDays.push(requests);
        seededDayRows.push({ day, requests });
        await sql`insert into public.sgtm_usage_daily_cf (container_id, day, requests) values (${news.id}, ${day}, ${requests})
          on conflict (container_id, day) do update set requests = excluded.requests`;
      }
      for (const [adblock, itp] of [[1, 0], [1, 0], [1, 0], [0, 1], [0, 1], [1, 1], [0, 0], [0, 0], [0, 0], [0, 0]]) {
        await sql`insert into public.loader_sessions (session_id, container_id, adblock, itp)
          values (${`dash-${Math.random().toString(36).slice(2)}`}, ${news.id}, ${adblock === 1}, ${itp === 1})`;
      }
    } finally {
      await sql.end();
    }

    // The edge: 4 plain hits, 2 recovered ones, the loader, one path sGTM does not know (404).
    const host = news.sites[0].host;
    const recovered = `/k/${news.sites[0].container_token}?p=${Buffer.from("/g/collect?v=2&tid=G-DASH&en=recovered").toString("base64url")}`;
    const statuses = [];
    for (const path of [
      ...Array(4).fill("/g/collect?v=2&tid=G-DASH&en=page_view"), recovered, recovered, `/l/${news.loader_token}.js`, "/no-such-path",
    ]) statuses.push(await getVia(local.edge_url, host, path));
    assert.deepEqual(statuses, [204, 204, 204, 204, 204, 204, 200, 404]);
    await waitUp("8 lines in the edge's hourly traffic", async () => {
      const { hours } = await admin("traffic");
      return hours?.reduce((sum, row) => sum + row.requests, 0) === 8;
    });
    await waitUp("8 access-log lines in R2", async () => (await admin("logs?limit=50")).lines?.length === 8);

    // The alerts job sees the month at 85% of the plan.
    const job = await fetch(`${local.functions_url}/alerts`, {
      method: "POST", headers: { authorization: `Bearer ${local.service_role_key}`, "content-type": "application/json" }, body: "{}",
    });
    const ran = await job.json();
    assert.equal(job.status, 200, JSON.stringify(ran));
    assert.ok(ran.opened.some((a) => a.kind === "quota_80" && a.container_id === news.id), JSON.stringify(ran.opened));

    browser = await launchChromium();
    page = await browser.newPage({ viewport: { width: 1300, height: 1800 } });
    const outside = [];
    page.on("request", (r) => {
      if (!r.url().startsWith(local.dashboard_url)) outside.push(r.url());
    });
    await page.goto(`${local.dashboard_url}/#${news.id}`);
    await page.waitForFunction(() => window.dashboard?.charts?.days && window.dashboard?.charts?.hours && window.dashboard.detail);
    assert.deepEqual(outside, [], "the page loads nothing but the dashboard's own URLs (the chart library too)");
  });

  after(async () => {
    await browser?.close().catch(() => {});
    if (platform && platform.child.exitCode === null) {
      platform.child.kill("SIGTERM");
      const timer = setTimeout(() => platform.child.kill("SIGKILL"), 20_000);
      await platform.exited;
      clearTimeout(timer);
    }
    if (process.exitCode) console.error(`npm start output:\n${platform?.output()}`);
    rmSync(dataDir, { recursive: true, force: true });
  });

  it("charts the seeded days and the edge's hours, with the shares, quota, domains and the job's alert", async (t) => {
    const charts = await page.evaluate(() => ({
      days: window.dashboard.charts.days.data.map((series) => Array.from(series)),
      hours: window.dashboard.charts.hours.data.map((series) => Array.from(series)),
      series: window.dashboard.charts.hours.series.map((s) => s.label ?? null),
    }));
    const [dayTimes, billed, served] = charts.days;
    assert.equal(dayTimes.length, 30);
    assert.deepEqual(billed, seededDays);
    assert.equal(served.at(-1), 8);
    assert.equal(served.slice(0, -1).reduce((a, b) => a + b, 0), 0);
    assert.deepEqual(charts.series, ["Time", "all", "2xx", "3xx", "4xx", "5xx", "other"]);
    const [hourTimes, all, ok2xx, , client4xx] = charts.hours;
    assert.equal(hourTimes.length, 48);
    assert.equal(hourTimes.at(-1) - hourTimes[0], 47 * 3600);
    assert.deepEqual([sum(all), sum(ok2xx), sum(client4xx)], [8, 7, 1]);

    const text = (selector) => page.locator(selector).innerText();
    assert.match(await text("#recovery"), /33\.3%[\s\S]*2 recovered, 4 plain/);
    assert.match(await text("#sessions"), /60\.0%[\s\S]*6 of 10 \(ad blocker 4, ITP 3\)/);
    assert.match(await text("#status-mix"), /87\.5% 2xx[\s\S]*2xx 7 · 3xx 0 · 4xx 1 · 5xx 0/);
    // Billing holds the seeded days of this UTC month (today's 8,500,000 plus the earlier days of
    // the month, so the figure depends on the date); the edge counted the 7 requests above that
    // reach sGTM (not the loader).
    const month = new Date().toISOString().slice(0, 7);
    const billedThisMonth = seededDayRows.filter((row) => row.day.startsWith(month)).reduce((total, row) => total + row.requests, 0);
    const shown = billedThisMonth.toLocaleString("en-US");
    const share = ((billedThisMonth / 10_000_000) * 100).toFixed(1).replace(".", "\\.");
    assert.match(await text("#quota"), new RegExp(`${share}%[\\s\\S]*${shown} of 10,000,000 this month\\s+edge 7, billed ${shown}`));
    assert.match(await text("#domains"), new RegExp(`${news.sites[0].host} \\(primary\\)\\s+verified`));
    assert.match(await text("#alerts"), /quota_80/);

    mkdirSync(join(root, "test-results"), { recursive: true });
    await page.screenshot({ path: SCREENSHOT, fullPage: true });
    t.diagnostic(`screenshot: ${SCREENSHOT}`);
  });

  it("lists the access log, narrows it by kind, status and time, and opens a line to its JSON (no address in it)", async () => {
    const rows = () => page.locator("#log-lines tr.line");
    await waitUp("8 log rows", async () => (await rows().count()) === 8);
    const filter = async (values) => {
      for (const name of ["status", "kind"]) await page.selectOption(`select[name=${name}]`, values[name] ?? "");
      for (const name of ["from", "to"]) await page.fill(`input[name=${name}]`, values[name] ?? "");
      await page.click("#log-filters button[type=submit]");
      await page.waitForFunction((n) => document.getElementById("log-meta").textContent.startsWith(`${n} line`), values.expect);
      return page.evaluate(() => window.dashboard.logs.map((l) => ({ status: l.status, path_class: l.path_class, recovered: l.recovered })));
    };
    const recovered = await filter({ kind: "recovered", expect: 2 });
    assert.deepEqual(recovered.map((l) => l.recovered), [true, true]);
    assert.deepEqual(await rows().locator("td:nth-child(2)").allInnerTexts(), ["recovered", "recovered"]);
    assert.deepEqual(await filter({ status: "4xx", expect: 1 }), [{ status: 404, path_class: "other", recovered: false }]);
    assert.deepEqual((await filter({ kind: "loader", expect: 1 })).map((l) => l.path_class), ["loader"]);
    assert.equal((await filter({ kind: "hit", status: "2xx", expect: 4 })).length, 4);
    const future = new Date(Date.now() + DAY_MS).toISOString().slice(0, 19);
    await filter({ from: future, to: new Date(Date.now() + 2 * DAY_MS).toISOString().slice(0, 19), expect: 0 });
    await filter({ expect: 8 });

    await rows().first().click();
    const full = page.locator("#log-lines tr.full:not([hidden]) pre");
    const line = JSON.parse(await full.innerText());
    assert.equal(line.container_id, news.id);
    assert.equal(typeof line.ts, "number");
    assert.doesNotMatch(await full.innerText(), /\b(127\.0\.0\.1|::1|ip)\b/);
  });
});

function sum(values) {
  return values.reduce((a, b) => a + b, 0);
}
