// Same-origin mode (contract section 10) end to end: a demo site on its own host behind real
// reverse proxies (nginx and Caddy from Debian, the generated Cloudflare Worker and Vercel
// middleware in workerd), each configured with what `npm run edge -- proxy-config` prints, in
// front of the Worker (`wrangler dev`) and the sGTM stand-in; Chromium reaches the site through
// a "visitor network" (test/e2e/same-origin-harness.mjs) so the visitor has an address of its own.
// Run through scripts/test-browser.mjs, which bounds and cleans up the whole run.
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { writeFileSync } from "node:fs";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { request } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { freePort } from "../../scripts/dev/platform/processes.mjs";
import { installedProxy, startSiteProxy } from "../../scripts/dev/platform/site-proxy.mjs";
import { startSgtmStandin } from "../../scripts/dev/standins/sgtm.mjs";
import { startPlatformSite, startVisitorNetwork, VISITOR_IP } from "./same-origin-harness.mjs";
import { pushConfig, startWorker } from "./worker-process.mjs";
import { googleBlockerDrops, launchChromium, observedContext, waitFor } from "./browser.mjs";

const root = fileURLToPath(new URL("../..", import.meta.url));
const ADMIN_TOKEN = "e2e-same-origin-admin-0123456789";
const CONTAINER_ID = "e2e00000-0000-4000-8000-0000000005a0";
const SITE_ID = "e2e00000-0000-4000-8000-0000000005a1";
const LOADER_TOKEN = "lt_e2e_same_origin_0001";
const CONTAINER_TOKEN = "ct_e2e_same_origin_0001";
const SITE_HOST = "site.localhost";
const EDGE_HOST = "edge.localhost";
const PREFIX = "/metrics";
const FORWARD_SECRET = "fs_e2e_same_origin_0123456789abcdef";
const WEB_GTM_ID = "GTM-SAMEORG";
const TRANSPORTS = ["fetch", "beacon", "xhr", "pixel"];
const COOKIE_MAX_AGE_S = 395 * 86400;
/** What the visitor's browser claims, and must never reach sGTM as the visitor's address. */
const FORGED_VISITOR_IP = "203.0.113.66";
const SITE_CREDENTIALS = "Basic c2l0ZS11c2VyOnNpdGUtcGFzc3dvcmQ=";
const KINDS = ["nginx", "caddy", "cloudflare-worker", "vercel"];
/** Geo the platforms report (Miniflare's cf object; the Vercel headers the harness adds), as the origin gets it. */
const GEO_BY_KIND = {
  "cloudflare-worker": { "x-geo-country": "DE", "x-geo-city": "Berlin" },
  vercel: { "x-geo-country": "PT", "x-geo-city": "S%C3%A3o Jo%C3%A3o" },
};

const PAGE = `<!doctype html>
<html>
<head>
<meta charset="utf-8">
<title>Same-origin demo site</title>
<script src="${PREFIX}/l/${LOADER_TOKEN}.js"></script>
</head>
<body><h1>Same-origin demo site</h1></body>
</html>
`;

function edgeConfig(standinUrl) {
  return {
    container_id: CONTAINER_ID,
    client_id: "e2e00000-0000-4000-8000-0000000005a2",
    config_version: 1,
    origin: standinUrl,
    edge_hostname: EDGE_HOST,
    loader_token: LOADER_TOKEN,
    modules: { sgtm_proxy: true, gtm_recovery: true, cookie_keeper: true, adblock_itp_detection: true, custom_domain: false },
    plan: { monthly_request_limit: null, auto_upgrade: false },
    cookie_keeper: { cookies: ["FPID", "_ga", "_ga_*", "_gcl_*"], max_age_days: 395, require_consent: true, restore: true },
    sites: [{
      site_id: SITE_ID,
      primary_host: SITE_HOST,
      tracked_domains: [],
      cookie_domain: SITE_HOST,
      container_token: CONTAINER_TOKEN,
      web_gtm_id: WEB_GTM_ID,
      path_prefix: PREFIX,
      forward_secret: FORWARD_SECRET,
    }],
    custom_domains: [],
  };
}

/** The operator CLI against this Worker; resolves { code, stdout, stderr }. */
function edgectl(args, workerUrl) {
  return new Promise((resolve) => {
    execFile(process.execPath, ["scripts/edgectl.mjs", ...args, "--edge-url", workerUrl], {
      cwd: root, timeout: 60_000, env: { ...process.env, EDGE_ADMIN_TOKEN: ADMIN_TOKEN },
    }, (error, stdout, stderr) => resolve({ code: error ? error.code : 0, stdout, stderr }));
  });
}

/** A reverse proxy's process group, stopped when this process ends however it ends; announced for the runner. */
function announce(pid) {
  if (process.env.E2E_PID_DIR) writeFileSync(join(process.env.E2E_PID_DIR, `site-proxy-${pid}`), String(pid));
  process.on("exit", () => {
    try {
      process.kill(-pid, "SIGKILL");
    } catch {
      // ESRCH: stopped already.
    }
  });
}

/** A GET straight to the Worker with the given Host and headers (node's fetch cannot set Host). */
function getFromEdge(workerUrl, path, headers) {
  const { hostname, port } = new URL(workerUrl);
  return new Promise((resolve, reject) => {
    const req = request({ host: hostname, port, path, headers: { host: EDGE_HOST, ...headers } }, (res) => {
      res.resume();
      res.on("end", () => resolve(res.statusCode));
    });
    req.on("error", reject);
    req.end();
  });
}

describe("same-origin mode through real reverse proxies", () => {
  let standin;
  let worker;
  let browser;
  let visitors;
  let dir;
  const configs = {};
  const sites = {};
  const stops = [];

  before(async () => {
    for (const kind of ["nginx", "caddy"]) {
      assert.ok(installedProxy(kind), `${kind} is missing: sudo apt-get install -y nginx caddy`);
    }
    dir = await mkdtemp(join(tmpdir(), "qaxal-same-origin-"));
    standin = await startSgtmStandin({ port: 0 });
    stops.push(() => standin.close());
    worker = await startWorker({ adminToken: ADMIN_TOKEN });
    stops.push(() => worker.stop());
    await pushConfig(worker, ADMIN_TOKEN, edgeConfig(standin.url));

    for (const kind of KINDS) {
      const printed = await edgectl(["proxy-config", CONTAINER_ID, "--site", SITE_HOST, "--kind", kind], worker.url);
      assert.equal(printed.code, 0, `proxy-config --kind ${kind}: ${printed.stderr}`);
      configs[kind] = printed.stdout;
    }
    const siteRoot = join(dir, "site");
    await mkdir(siteRoot);
    await writeFile(join(siteRoot, "index.html"), PAGE);
    for (const kind of ["nginx", "caddy"]) {
      const site = await startSiteProxy({
        kind, config: configs[kind], siteHost: SITE_HOST, edgeHostname: EDGE_HOST, edgeUrl: worker.url,
        siteRoot, port: await freePort(), dir: join(dir, kind), onSpawn: announce,
      });
      stops.push(() => site.stop());
      sites[kind] = site;
    }
    for (const kind of ["cloudflare-worker", "vercel"]) {
      const platformDir = join(dir, kind);
      await mkdir(platformDir);
      const site = await startPlatformSite({
        kind, code: configs[kind], prefix: PREFIX, page: PAGE, siteHost: SITE_HOST, port: await freePort(),
        edgeHostname: EDGE_HOST, edgeUrl: worker.url, dir: platformDir,
      });
      stops.push(() => site.stop());
      sites[kind] = site;
    }
    visitors = await startVisitorNetwork();
    stops.push(() => visitors.close());
    // Every request goes through the visitor network, loopback names included.
    browser = await launchChromium([`--proxy-server=${visitors.url}`, "--proxy-bypass-list=<-loopback>"]);
  });

  after(async () => {
    await browser?.close().catch(() => {});
    for (const stop of stops.reverse()) await stop().catch((error) => console.error(`while stopping: ${error.message}`));
    if (dir) await rm(dir, { recursive: true, force: true });
    if (worker && process.exitCode) console.error(`wrangler dev output:\n${worker.output()}`);
  });

  /** A context on the site's host only; with `blocker`, Google's tags are dropped as a blocker would. */
  const openContext = ({ blocker = false } = {}) =>
    observedContext(browser, {
      localHosts: [SITE_HOST],
      drops: blocker ? googleBlockerDrops : null,
      // The site's own credentials and a forged address: neither may reach sGTM.
      options: { extraHTTPHeaders: { Authorization: SITE_CREDENTIALS, "X-Forwarded-For": FORGED_VISITOR_IP } },
    });

  async function collectHits() {
    return waitFor("one /g/collect hit per transport at the stand-in", () => {
      const found = new Map();
      for (const hit of standin.hits) {
        if (hit.path === "/g/collect") found.set(new URLSearchParams(hit.query).get("_tr"), hit);
      }
      return TRANSPORTS.every((transport) => found.has(transport)) && found;
    });
  }

  function assertSameOrigin(kind, requests, leaks) {
    const siteOrigin = new URL(sites[kind].url).origin;
    const urls = requests.map((req) => req.url()).filter((url) => !url.startsWith("https://pagead2.googlesyndication.com/"));
    const elsewhere = urls.filter((url) => new URL(url).origin !== siteOrigin);
    assert.deepEqual(elsewhere, [], `every request of the page goes to ${siteOrigin}`);
    const tracking = urls.filter((url) => new URL(url).pathname.startsWith(`${PREFIX}/`));
    assert.ok(tracking.length >= 7, `loader, boot, GTM, 4 hits under ${PREFIX}/, saw:\n${urls.join("\n")}`);
    assert.deepEqual(leaks, [], "no request tried to leave the machine");
  }

  function assertHitsFromVisitor(kind, byTransport) {
    for (const transport of TRANSPORTS) {
      const hit = byTransport.get(transport);
      assert.equal(new URLSearchParams(hit.query).get("dl"), `${sites[kind].url}/`, `${transport}: dl`);
      assert.equal(hit.headers["x-forwarded-for"], VISITOR_IP, `${transport}: the visitor's address, from the proxy`);
      for (const [name, value] of Object.entries(GEO_BY_KIND[kind] ?? {})) assert.equal(hit.headers[name], value, `${transport}: ${name}`);
    }
    const everything = standin.hits.filter((hit) => hit.path !== "/__standin/hits");
    assert.deepEqual(everything.filter((hit) => hit.headers.authorization !== undefined).map((hit) => hit.path), [],
      "the site's Authorization header never reaches sGTM");
  }

  function assertHitsForSiteHost(byTransport) {
    for (const transport of TRANSPORTS) {
      assert.equal(byTransport.get(transport).headers["x-forwarded-host"], SITE_HOST, `${transport}: sGTM is told the site's host`);
    }
  }

  async function assertCookiesFromSite(kind, context, responses) {
    const siteOrigin = new URL(sites[kind].url).origin;
    const now = Date.now() / 1000;
    const cookies = await context.cookies(siteOrigin);
    for (const name of ["FPID", "_ga"]) {
      // GTM's own _ga is a host-only cookie of its own; the edge's is the one for the cookie domain.
      const kept = cookies.filter((candidate) => candidate.name === name && Math.abs(candidate.expires - (now + COOKIE_MAX_AGE_S)) < 3600);
      assert.equal(kept.length, 1, `one ${name} lives 395 days: ${JSON.stringify(cookies)}`);
      assert.equal(kept[0].domain.replace(/^\./, ""), SITE_HOST, `${name} belongs to the site's host`);
      const setters = [];
      for (const response of responses) {
        const lines = (await response.headerValue("set-cookie").catch(() => null)) ?? "";
        if (lines.split("\n").some((line) => line.startsWith(`${name}=`) && line.includes(`Max-Age=${COOKIE_MAX_AGE_S}`))) setters.push(response.url());
      }
      assert.ok(setters.length > 0, `a response set ${name} with Max-Age=${COOKIE_MAX_AGE_S}`);
      assert.deepEqual(setters.filter((url) => new URL(url).origin !== siteOrigin), [], `${name} is set by the site's own responses`);
    }
    assert.ok(cookies.filter((cookie) => cookie.name === "FPID").every((cookie) => cookie.httpOnly), "FPID stays HttpOnly");
  }

  for (const kind of KINDS) {
    it(`${kind}: every tracking request is same-origin, hits carry the visitor's address, FPID and _ga live 395 days`, async () => {
      standin.hits.splice(0);
      const { context, requests, responses, leaks, pageErrors } = await openContext();
      try {
        const page = await context.newPage();
        await page.goto(`${sites[kind].url}/`);
        const hits = await collectHits();
        await page.waitForLoadState("networkidle");
        assertHitsFromVisitor(kind, hits);
        assert.deepEqual(await page.evaluate(() => window.dataLayer.map((entry) => entry.event)), ["gtm.js", "standin_gtm_loaded"]);
        assertSameOrigin(kind, requests, leaks);
        await assertCookiesFromSite(kind, context, responses);
        assert.deepEqual(pageErrors, []);
        assertHitsForSiteHost(hits);
      } finally {
        await context.close();
      }
    });

    it(`${kind}: behind a content blocker every hit still arrives, same-origin`, async () => {
      standin.hits.splice(0);
      const { context, requests, leaks, pageErrors } = await openContext({ blocker: true });
      try {
        const page = await context.newPage();
        await page.goto(`${sites[kind].url}/`);
        assertHitsFromVisitor(kind, await collectHits());
        assertSameOrigin(kind, requests, leaks);
        assert.deepEqual(pageErrors, []);
      } finally {
        await context.close();
      }
    });

    it(`${kind}: check-site finds nothing wrong`, async () => {
      const checked = await edgectl(["check-site", `${sites[kind].url}${PREFIX}`, "--json"], worker.url);
      const report = JSON.parse(checked.stdout);
      assert.deepEqual(report.problems, [], checked.stdout);
      assert.equal(checked.code, 0);
      assert.equal(report.edge_hostname, EDGE_HOST);
      assert.equal(report.seen.forwarded_for, "127.0.0.1", "the CLI's own address, through the proxy");
    });
  }

  it("the generated JavaScript proxies send the edge exactly the forwarding headers", () => {
    for (const kind of ["cloudflare-worker", "vercel"]) {
      assert.ok(sites[kind].outbound.length > 0, `${kind} made requests`);
      for (const { url, headers } of sites[kind].outbound) {
        assert.ok(url.startsWith(`https://${EDGE_HOST}${PREFIX}/`), `${kind}: ${url}`);
        assert.equal(headers["x-public-host"], SITE_HOST);
        assert.equal(headers["x-forward-secret"], FORWARD_SECRET);
        assert.equal(headers.authorization, undefined, `${kind} drops Authorization`);
        assert.notEqual(headers["x-forwarded-for"], FORGED_VISITOR_IP, `${kind} replaces the visitor's X-Forwarded-For`);
      }
    }
  });

  it("check-site names what a broken nginx gets wrong: no secret, cookies stripped, a cache that ignores the query", async () => {
    const broken = configs.nginx
      .split("\n")
      .filter((line) => !line.includes("X-Forward-Secret"))
      .map((line) => (line.trim() === "proxy_cache off;"
        ? '    proxy_set_header Cookie "";\n    proxy_cache qaxal_test;\n    proxy_cache_key $host$uri;\n    proxy_cache_valid 200 10m;\n    proxy_ignore_headers Cache-Control Expires Set-Cookie;'
        : line))
      .join("\n");
    assert.notEqual(broken, configs.nginx);
    const siteRoot = join(dir, "site");
    const site = await startSiteProxy({
      kind: "nginx", config: broken, siteHost: SITE_HOST, edgeHostname: EDGE_HOST, edgeUrl: worker.url, siteRoot,
      port: await freePort(), dir: join(dir, "nginx-broken"), onSpawn: announce,
      httpDirectives: `proxy_cache_path ${join(dir, "nginx-broken", "cache")} keys_zone=qaxal_test:1m;`,
    });
    try {
      const checked = await edgectl(["check-site", `${site.url}${PREFIX}`, "--json"], worker.url);
      assert.equal(checked.code, 1, checked.stdout);
      const report = JSON.parse(checked.stdout);
      assert.deepEqual(report.problems.map((problem) => problem.code), ["secret_missing", "cookies_stripped", "cached"]);
      const text = await edgectl(["check-site", `${site.url}${PREFIX}`], worker.url);
      assert.match(text.stdout, /✗ X-Forward-Secret is not sent/);
      assert.match(text.stdout, /✗ Cookies are stripped on the way to the edge/);
    } finally {
      await site.stop();
    }
  });

  it("a forged X-Forwarded-For reaches sGTM only with the right X-Forward-Secret", async () => {
    const spoofed = "198.51.100.23";
    const cases = { missing: {}, wrong: { "x-forward-secret": "fs_not_the_secret_0123456789abcdefgh" }, right: { "x-forward-secret": FORWARD_SECRET } };
    standin.hits.splice(0);
    for (const [name, secret] of Object.entries(cases)) {
      const status = await getFromEdge(worker.url, `${PREFIX}/g/collect?v=2&tid=G-SPOOF&_tr=spoof-${name}`, {
        "x-public-host": SITE_HOST, "x-forwarded-for": spoofed, ...secret,
      });
      assert.equal(status, 204, `${name}: the hit is proxied`);
    }
    const seen = (name) => standin.hits.find((hit) => new URLSearchParams(hit.query).get("_tr") === `spoof-${name}`)?.headers["x-forwarded-for"];
    assert.notEqual(seen("missing"), spoofed, "no secret: the claimed address is ignored");
    assert.notEqual(seen("wrong"), spoofed, "a wrong secret: the claimed address is ignored");
    assert.equal(seen("right"), spoofed, "the right secret: the proxy's address is used");
  });
});
