// The platform end to end, started the way `npm start` starts it (headless, random ports, a
// throwaway data directory): a container created through sgtm-containers with a real user
// JWT reaches the edge, a hit goes through the Worker to the sGTM stand-in, the CLI reports
// it, and after SIGTERM no process and no port of the platform is left.
// Run through scripts/test-platform.mjs, which bounds and cleans up the whole run.
import assert from "node:assert/strict";
import { execFile, spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { request } from "node:http";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import postgres from "postgres";
import { readApi } from "../../scripts/dev/dashboard/data.mjs";
import { ensurePortFree, isAlive, stopGroup } from "../../scripts/dev/platform/processes.mjs";

const root = fileURLToPath(new URL("../..", import.meta.url));
const START_TIMEOUT_MS = 120_000;
const STOP_TIMEOUT_MS = 20_000;
const TEST_HOST = "platform-test.localhost";
const DOMAIN_HOST = "www.platform-domain.localhost";

/** `npm start` as a child in this test's process group; `ready` resolves with local.json's path. */
function startPlatform(dataDir, extraArgs = []) {
  const child = spawn(process.execPath, [
    "scripts/start.mjs", "--headless", "--ports", "random", "--data-dir", dataDir, ...extraArgs,
  ], { cwd: root, stdio: ["ignore", "pipe", "pipe"] });
  let output = "";
  child.stdout.on("data", (chunk) => (output += chunk));
  child.stderr.on("data", (chunk) => (output += chunk));
  const exited = new Promise((resolve) => child.once("exit", (code, signal) => resolve({ code, signal })));
  const ready = new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`not ready after ${START_TIMEOUT_MS} ms:\n${output}`)), START_TIMEOUT_MS);
    child.stdout.on("data", () => {
      const match = /ready (\S+local\.json)/.exec(output);
      if (match) {
        clearTimeout(timer);
        resolve(match[1]);
      }
    });
    exited.then(({ code, signal }) => {
      clearTimeout(timer);
      reject(new Error(`npm start exited (${code ?? signal}) before ready:\n${output}`));
    });
  });
  return { child, ready, exited, output: () => output };
}

function cli(args, dataDir) {
  return new Promise((resolve) => {
    execFile(process.execPath, ["scripts/edgectl.mjs", ...args, "--data-dir", dataDir], { cwd: root, timeout: 60_000 },
      (error, stdout, stderr) => resolve({ code: error ? error.code : 0, stdout, stderr }));
  });
}

/** GET through the Worker with a public Host header (node's fetch cannot set Host). */
function getVia(edgeUrl, host, path) {
  const { hostname, port } = new URL(edgeUrl);
  return new Promise((resolve, reject) => {
    const req = request({ hostname, port, path, headers: { host } }, (res) => {
      let body = "";
      res.on("data", (chunk) => (body += chunk));
      res.on("end", () => resolve({ status: res.statusCode, headers: res.headers, body }));
    });
    req.on("error", reject);
    req.end();
  });
}

function portIsClosed(port) {
  return ensurePortFree(port, "check").then(() => true, () => false);
}

describe("npm start: the platform end to end", () => {
  const dataDir = process.env.PLATFORM_TEST_DATA_DIR ?? mkdtempSync(join(tmpdir(), "qaxal-platform-test-"));
  let platform;
  let local;
  let containerId;

  before(async () => {
    platform = startPlatform(dataDir, ["--jobs-every", "1"]);
    local = JSON.parse(readFileSync(await platform.ready, "utf8"));
  });

  after(async () => {
    // However the tests ended: nothing of the platform may outlive them.
    if (platform.child.exitCode === null && platform.child.signalCode === null) platform.child.kill("SIGKILL");
    for (const pid of [local?.processes.functions, local?.processes.wrangler].filter(Boolean)) await stopGroup(pid, 500);
    if (process.exitCode) console.error(`npm start output:\n${platform.output()}`);
    if (!process.env.PLATFORM_TEST_DATA_DIR) rmSync(dataDir, { recursive: true, force: true });
  });

  it("writes local.json with every URL, the tokens and a demo owner JWT", () => {
    for (const key of ["edge_url", "functions_url", "database_url", "dashboard_url"]) assert.match(local[key], /^(http|postgres):\/\//);
    for (const key of ["edge_admin_token", "edge_auth_secret", "service_role_key"]) assert.ok(local[key].length >= 24, key);
    assert.equal(local.demo.containers.length, 2);
    assert.deepEqual(local.demo.containers.map((c) => c.sites.length).sort(), [1, 2]);
    assert.equal(local.demo.owner_jwt.split(".").length, 3);
  });

  it("creates a container through sgtm-containers with the owner's JWT and the edge holds its version", async () => {
    const response = await fetch(`${local.functions_url}/sgtm-containers`, {
      method: "POST",
      headers: { authorization: `Bearer ${local.demo.owner_jwt}`, "content-type": "application/json" },
      body: JSON.stringify({
        clientId: local.demo.client_id,
        name: "platform test",
        domains: [TEST_HOST],
        webGtmIds: { [TEST_HOST]: "GTM-PLATFORM" },
        containerConfigB64: Buffer.from("platform-test").toString("base64"),
      }),
    });
    const body = await response.json();
    assert.equal(response.status, 201, JSON.stringify(body));
    containerId = body.container.id;

    const inspect = async () => {
      const held = await fetch(`${local.edge_url}/_edge/admin/containers/${containerId}`, {
        headers: { authorization: `Bearer ${local.edge_admin_token}` },
      });
      const inspection = await held.json();
      assert.equal(held.status, 200, JSON.stringify(inspection));
      return inspection;
    };
    assert.equal((await inspect()).config_version, body.container.config_version);
    // Pending until DNS proves it (section 11): the edge does not route the host yet.
    assert.equal((await getVia(local.edge_url, TEST_HOST, "/g/collect?v=2")).status, 404);

    const auth = { authorization: `Bearer ${local.demo.owner_jwt}` };
    const listed = await (await fetch(`${local.functions_url}/container-domains?container_id=${containerId}`, { headers: auth })).json();
    const domain = listed.domains.find((candidate) => candidate.hostname === TEST_HOST);
    assert.equal(domain.state, "pending");
    for (const record of [domain.verification, domain.routing]) {
      const written = await fetch(local.dns_records_url, { method: "POST", body: JSON.stringify(record) });
      assert.equal(written.status, 201, await written.text());
    }
    const verified = await fetch(`${local.functions_url}/container-domains/${domain.id}/verify`, { method: "POST", headers: auth });
    const verifiedBody = await verified.json();
    assert.equal(verifiedBody.domain?.state, "verified", JSON.stringify(verifiedBody));
    assert.deepEqual((await inspect()).config.sites.map((site) => site.primary_host), [TEST_HOST]);
  });

  it("proxies a hit through the Worker to the sGTM stand-in and the CLI reports the usage", async () => {
    assert.ok(containerId, "the container of the previous test");
    const hit = await getVia(local.edge_url, TEST_HOST, "/g/collect?v=2&tid=G-PLATFORM&en=page_view");
    assert.equal(hit.status, 204, hit.body);
    assert.match(hit.headers["set-cookie"]?.join(";") ?? "", /FPID=/);

    const recorded = await (await fetch(`${local.sgtm_standin_url}/__standin/hits`)).json();
    const mine = recorded.filter((h) => h.path === "/g/collect" && h.query.includes("tid=G-PLATFORM"));
    assert.equal(mine.length, 1);
    assert.equal(mine[0].headers["x-forwarded-host"], TEST_HOST);

    const usage = await cli(["usage", containerId, "--days", "2", "--json"], dataDir);
    assert.equal(usage.code, 0, usage.stderr);
    assert.equal(JSON.parse(usage.stdout).total, 1, usage.stdout);

    const table = await cli(["containers"], dataDir);
    assert.equal(table.code, 0, table.stderr);
    const row = table.stdout.split("\n").find((line) => line.startsWith(containerId));
    assert.match(row, new RegExp(`^${containerId}\\s+\\d+\\s+running\\s+1\\s+1\\s+${TEST_HOST}$`));
  });

  it("pause answers 402 at the edge, resume lifts it (through the CLI)", async () => {
    assert.ok(containerId, "the container of the previous test");
    const paused = await cli(["pause", containerId, "--reason", "platform test"], dataDir);
    assert.equal(paused.code, 0, paused.stderr);
    const refused = await getVia(local.edge_url, TEST_HOST, "/g/collect?v=2");
    assert.equal(refused.status, 402);
    assert.deepEqual(JSON.parse(refused.body), { error: "container_paused", reason: "platform test" });
    const resumed = await cli(["resume", containerId], dataDir);
    assert.equal(resumed.code, 0, resumed.stderr);
    assert.equal((await getVia(local.edge_url, TEST_HOST, "/g/collect?v=2")).status, 204);
  });

  it("a change in the database reaches the edge by itself (outbox timer), and the jobs run", async () => {
    assert.ok(containerId, "the container of the previous test");
    const sql = postgres(local.database_url, { max: 1, prepare: false, onnotice: () => {} });
    let version;
    try {
      [{ config_version: version }] = await sql`
        update public.sgtm_containers set modules = modules || '{"cookie_keeper": false}'
        where id = ${containerId} returning config_version`;
    } finally {
      await sql.end();
    }
    const deadline = Date.now() + 20_000;
    let held;
    do {
      await new Promise((resolve) => setTimeout(resolve, 250));
      const reply = await fetch(`${local.edge_url}/_edge/admin/containers/${containerId}`, {
        headers: { authorization: `Bearer ${local.edge_admin_token}` },
      });
      held = await reply.json();
    } while (held.config_version !== version && Date.now() < deadline);
    assert.equal(held.config_version, version);
    assert.equal(held.config.modules.cookie_keeper, false);
    assert.match(platform.output(), /jobs: billing \d+ container\(s\), paused none, upgraded none; drift \d+ checked, repaired/);
  });

  it("serves the same-origin demo site through nginx, and check-site finds nothing wrong with it", async () => {
    const demo = local.demo.same_origin;
    assert.equal(demo.skipped, undefined, "nginx is installed here, so the demo runs");
    assert.equal(demo.proxy, "nginx");
    const { hostname, port } = new URL(demo.url);
    const page = await getVia(`http://127.0.0.1:${port}`, `${hostname}:${port}`, "/");
    assert.equal(page.status, 200);
    const loaderPath = /<script src="([^"]+)"/.exec(page.body)?.[1];
    assert.ok(loaderPath?.startsWith(`${demo.prefix}/`), `the page loads the loader under ${demo.prefix}/: ${page.body}`);
    const loader = await getVia(`http://127.0.0.1:${port}`, `${hostname}:${port}`, loaderPath);
    assert.equal(loader.status, 200, loader.body);
    assert.match(loader.headers["content-type"], /javascript/);
    const checked = await cli(["check-site", `${demo.url}${demo.prefix.slice(1)}`, "--json"], dataDir);
    assert.equal(checked.code, 0, checked.stdout + checked.stderr);
    assert.deepEqual(JSON.parse(checked.stdout).problems, []);
  });

  it("the dashboard shows the container with its requests and no errors", async () => {
    const data = await (await fetch(`${local.dashboard_url}/api/containers`)).json();
    const row = data.containers.find((c) => c.id === containerId);
    assert.equal(row.name, "platform test");
    assert.equal(row.edge_version, row.db_version);
    assert.equal(row.day_requests, 2);
    assert.deepEqual(row.errors, []);
  });

  it("the multi-domain demo container has every power-up on: the CLI shows them at the edge, a hit reaches sGTM shaped by them", async () => {
    const demo = local.demo.containers.find((container) => container.name === "Demo shop + blog (multi-domain)");
    assert.ok(demo, JSON.stringify(local.demo.containers));
    const shown = await cli(["power-ups", demo.id, "--json"], dataDir);
    assert.equal(shown.code, 0, shown.stderr);
    const { pushed } = JSON.parse(shown.stdout);
    assert.deepEqual(
      [pushed.bot_filter, pushed.anonymizer, pushed.device_geo_headers, pushed.click_id_restore, pushed.blocked_ips.length > 0, typeof pushed.preview_header],
      ["flag", "consent", true, true, true, "string"],
    );
    const hit = await getVia(local.edge_url, demo.edge_hostname, "/g/collect?v=2&tid=G-POWERUPS&en=page_view");
    assert.ok(hit.status < 400, hit.body);
    const recorded = await (await fetch(`${local.sgtm_standin_url}/__standin/hits`)).json();
    const mine = recorded.find((h) => h.query.includes("tid=G-POWERUPS"));
    assert.equal(mine?.headers["x-bot"], "0", JSON.stringify(mine?.headers));
    assert.equal(mine.headers["x-device-type"], "unknown");
    assert.equal(mine.headers["x-gtm-server-preview"], pushed.preview_header);
  });

  it("a domain through the CLI: added pending (edge 404), DNS records written, verified, routed; removed, 404 again", async () => {
    assert.ok(containerId, "the container of the earlier test");
    const json = async (args, code = 0) => {
      const run = await cli([...args, "--json"], dataDir);
      assert.equal(run.code, code, `${args.join(" ")}: ${run.stdout}${run.stderr}`);
      return JSON.parse(run.stdout);
    };
    const { domain } = await json(["domain", "add", containerId, DOMAIN_HOST]);
    assert.equal(domain.state, "pending");
    assert.equal((await getVia(local.edge_url, DOMAIN_HOST, "/g/collect?v=2&tid=G-DOMAIN")).status, 404);
    // Verifying before the records exist: still pending, and it says why (exit 1).
    const early = await json(["domain", "verify", domain.id], 1);
    assert.equal(early.domain.state, "pending");
    assert.ok(early.domain.problems.some((p) => p.code === "txt_missing"), JSON.stringify(early.domain.problems));

    for (const record of [
      { name: domain.verification.name, type: "TXT", value: domain.verification.value },
      { name: domain.routing.name, type: "CNAME", value: domain.routing.value },
    ]) {
      const written = await fetch(local.dns_records_url, { method: "POST", body: JSON.stringify(record) });
      assert.equal(written.status, 201, await written.text());
    }
    const verified = await json(["domain", "verify", domain.id]);
    assert.equal(verified.domain.state, "verified");
    const listed = await json(["domains", containerId]);
    assert.deepEqual(listed.domains.filter((d) => d.hostname === DOMAIN_HOST).map((d) => d.state), ["verified"]);
    const hit = await getVia(local.edge_url, DOMAIN_HOST, "/g/collect?v=2&tid=G-DOMAIN");
    assert.equal(hit.status, 204, hit.body);
    const recorded = await (await fetch(`${local.sgtm_standin_url}/__standin/hits`)).json();
    assert.equal(recorded.filter((h) => h.query.includes("tid=G-DOMAIN"))[0]?.headers["x-forwarded-host"], DOMAIN_HOST);

    // The same state through the read API a customer app uses (supabase-js, the owner's JWT, RLS) and on the dashboard.
    const db = readApi(local.rest_url, local.demo.owner_jwt);
    const { data, error } = await db.from("container_domain_states").select("hostname,state").eq("container_id", containerId);
    assert.equal(error, null);
    assert.deepEqual(data.find((d) => d.hostname === DOMAIN_HOST), { hostname: DOMAIN_HOST, state: "verified" });
    const refused = await readApi(local.rest_url, "not-a-token").from("container_domain_states").select("*");
    assert.equal(refused.error?.code, "PGRST301");
    const detail = await (await fetch(`${local.dashboard_url}/api/containers/${containerId}`)).json();
    assert.equal(detail.domains.find((d) => d.hostname === DOMAIN_HOST)?.state, "verified");

    await json(["domain", "rm", domain.id]);
    assert.equal((await getVia(local.edge_url, DOMAIN_HOST, "/g/collect?v=2")).status, 404);
  });

  it("stops everything on SIGTERM: no process, no port left", async () => {
    platform.child.kill("SIGTERM");
    const timer = setTimeout(() => platform.child.kill("SIGKILL"), STOP_TIMEOUT_MS);
    const { code } = await platform.exited;
    clearTimeout(timer);
    assert.equal(code, 0, platform.output());
    for (const [name, pid] of Object.entries(local.processes)) assert.equal(isAlive(pid), false, `${name} (pid ${pid}) still runs`);
    for (const [name, port] of Object.entries(local.ports)) assert.ok(await portIsClosed(port), `${name} port ${port} still open`);
  });
});

describe("npm start: clear errors", () => {
  it("a busy port is named, with the way out, and nothing starts", async () => {
    const dataDir = mkdtempSync(join(tmpdir(), "qaxal-platform-busy-"));
    const blocker = createServer();
    await new Promise((resolve) => {
      blocker.once("error", resolve); // already busy (a running `npm start`?): as good for this test
      blocker.listen(8787, "127.0.0.1", resolve);
    });
    try {
      const platform = startPlatform(dataDir, ["--ports", "fixed"]);
      platform.ready.catch(() => {}); // it must not get ready: the exit below is what this test checks
      const { code } = await platform.exited;
      assert.equal(code, 1);
      assert.match(platform.output(), /port 8787 \(edge\) is busy: stop what uses it, or run with --ports random/);
    } finally {
      blocker.close();
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
