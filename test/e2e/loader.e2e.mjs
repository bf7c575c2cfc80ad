// The loader end to end in real Chromium: page, loader and hits all first-party through the
// Worker (`wrangler dev`), the sGTM stand-in as the container origin.
// Run through scripts/test-browser.mjs, which bounds and cleans up the whole run.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { startSgtmStandin } from "../../scripts/dev/standins/sgtm.mjs";
import { pushConfig, startWorker } from "./worker-process.mjs";
import { googleBlockerDrops, launchChromium, observedContext, waitFor } from "./browser.mjs";

const ADMIN_TOKEN = "e2e-admin-token-0123456789abcdef";
const CONTAINER_ID = "e2e00000-0000-4000-8000-000000000001";
const LOADER_TOKEN = "lt_e2e_loader_token_0001";
const CONTAINER_TOKEN = "ct_e2e_container_token_01";
const WEB_GTM_ID = "GTM-E2ETEST";
const SHOP_HOST = "shop.localhost";
const EDGE_HOST = "edge.localhost";
const TRANSPORTS = ["fetch", "beacon", "xhr", "pixel"];
const SAFARI_UA =
  "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_5) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Safari/605.1.15";

function edgeConfig(standinUrl) {
  return {
    container_id: CONTAINER_ID,
    client_id: "e2e00000-0000-4000-8000-000000000002",
    config_version: 1,
    origin: standinUrl,
    edge_hostname: EDGE_HOST,
    loader_token: LOADER_TOKEN,
    modules: { sgtm_proxy: true, gtm_recovery: true, cookie_keeper: true, adblock_itp_detection: true, custom_domain: false },
    plan: { monthly_request_limit: null, auto_upgrade: false },
    cookie_keeper: { cookies: ["FPID", "_ga", "_ga_*", "_gcl_*"], max_age_days: 395, require_consent: true, restore: true },
    sites: [
      {
        site_id: "e2e00000-0000-4000-8000-000000000003",
        primary_host: SHOP_HOST,
        tracked_domains: [],
        cookie_domain: SHOP_HOST,
        container_token: CONTAINER_TOKEN,
        web_gtm_id: WEB_GTM_ID,
      },
    ],
    custom_domains: [],
  };
}

describe("loader in Chromium through the Worker", () => {
  let standin;
  let worker;
  let browser;
  let demoUrl;

  before(async () => {
    standin = await startSgtmStandin({ port: 0, loaderToken: LOADER_TOKEN });
    worker = await startWorker({ adminToken: ADMIN_TOKEN });
    await pushConfig(worker, ADMIN_TOKEN, edgeConfig(standin.url));
    demoUrl = `http://${SHOP_HOST}:${worker.port}/demo`;
    browser = await launchChromium();
  });

  after(async () => {
    await browser?.close().catch(() => {});
    await worker?.stop();
    await standin?.close();
    if (worker && process.exitCode) console.error(`wrangler dev output:\n${worker.output()}`);
  });

  /** A fresh context on the shop and edge hosts; with `blocker`, Google's tags are dropped as a blocker would. */
  const openContext = ({ blocker = false, userAgent } = {}) =>
    observedContext(browser, {
      localHosts: [SHOP_HOST, EDGE_HOST, "127.0.0.1"],
      drops: blocker ? googleBlockerDrops : null,
      options: userAgent ? { userAgent } : {},
    });

  /** Waits until the stand-in holds one GA4 hit per transport from this visit; returns them by transport. */
  async function collectHits() {
    const byTransport = await waitFor("one /g/collect hit per transport at the stand-in", () => {
      const found = new Map();
      for (const hit of standin.hits) {
        if (hit.path !== "/g/collect") continue;
        found.set(new URLSearchParams(hit.query).get("_tr"), hit);
      }
      return TRANSPORTS.every((transport) => found.has(transport)) && found;
    });
    return byTransport;
  }

  function assertHitsArrivedIntact(byTransport, { page = demoUrl, edgeHost = SHOP_HOST } = {}) {
    for (const transport of TRANSPORTS) {
      const hit = byTransport.get(transport);
      const query = new URLSearchParams(hit.query);
      assert.equal(query.get("tid"), "G-DEMO");
      assert.equal(query.get("gtm"), WEB_GTM_ID);
      assert.equal(query.get("dl"), page, `${transport}: encoded dl passes through`);
      assert.equal(hit.headers["x-forwarded-host"], edgeHost, `${transport}: proxied by the edge`);
      if (transport === "pixel") {
        assert.equal(hit.method, "GET");
      } else {
        assert.equal(hit.method, "POST", `${transport}: method kept`);
        assert.equal(hit.body, `transport=${transport}`, `${transport}: body kept`);
      }
    }
  }

  function assertBrowserSentOnlyRecoveryUrls(requests, leaks) {
    const urls = requests.map((request) => request.url());
    const recoveryHits = urls.filter((url) => url.startsWith(`http://${SHOP_HOST}:${worker.port}/k/${CONTAINER_TOKEN}?p=`));
    assert.ok(recoveryHits.length >= 5, `GTM and 4 hits through /k/, saw:\n${urls.join("\n")}`);
    const telltale = urls.filter((url) => /gtm\.js|gtag\/js|GTM-|\/g\/collect/i.test(url));
    assert.deepEqual(telltale, [], "no request URL names GTM or a collect path");
    assert.deepEqual(leaks, [], "no request tried to leave the machine");
  }

  async function detectionReport(requests) {
    const report = await waitFor("the session detection report", () =>
      requests.find((request) => request.url().endsWith("/mark-session-detection")),
    );
    const response = await waitFor("its response", () => report.response());
    assert.equal(response.status(), 202);
    return report.postDataJSON();
  }

  it("delivers every hit (fetch, beacon, xhr, pixel) through /k/ and reports the session once", async () => {
    standin.hits.splice(0);
    const { context, requests, leaks, pageErrors } = await openContext();
    try {
      const page = await context.newPage();
      await page.goto(demoUrl);
      assertHitsArrivedIntact(await collectHits());
      const gtmRequests = standin.hits.filter((hit) => hit.path === "/gtm.js");
      assert.deepEqual(gtmRequests.map((hit) => hit.query), [`?id=${WEB_GTM_ID}`]);
      const events = await page.evaluate(() => window.dataLayer.map((entry) => entry.event));
      assert.deepEqual(events, ["gtm.js", "standin_gtm_loaded"]);

      const report = await detectionReport(requests);
      assert.equal(report.loader_token, LOADER_TOKEN);
      assert.match(report.session_id, /^[0-9a-f]{32}$/);
      assert.equal(report.adblock, false);
      assert.equal(report.itp, false);

      await page.reload();
      await waitFor("the reload's hits", () => standin.hits.filter((hit) => hit.path === "/g/collect").length >= 8);
      // Past the loader's detection delay: a second report would have been sent by now.
      await page.waitForLoadState("networkidle");
      const reports = requests.filter((request) => request.url().endsWith("/mark-session-detection"));
      assert.equal(reports.length, 1, "one report per browser session");

      assertBrowserSentOnlyRecoveryUrls(requests, leaks);
      assert.deepEqual(pageErrors, []);
    } finally {
      await context.close();
    }
  });

  it("still delivers every hit through /k/ behind a content blocker, and reports the blocker", async () => {
    standin.hits.splice(0);
    const { context, requests, leaks, pageErrors } = await openContext({ blocker: true });
    try {
      const page = await context.newPage();
      await page.goto(demoUrl);
      assertHitsArrivedIntact(await collectHits());
      const report = await detectionReport(requests);
      assert.equal(report.adblock, true);
      assertBrowserSentOnlyRecoveryUrls(requests, leaks);
      assert.deepEqual(pageErrors, []);
    } finally {
      await context.close();
    }
  });

  it("reports ITP for a Safari user agent", async () => {
    const { context, requests, pageErrors } = await openContext({ userAgent: SAFARI_UA });
    try {
      const page = await context.newPage();
      await page.goto(demoUrl);
      const report = await detectionReport(requests);
      assert.equal(report.itp, true);
      assert.deepEqual(pageErrors, []);
    } finally {
      await context.close();
    }
  });

  it("leaves the page working when GTM itself cannot load", async () => {
    const { context, requests, pageErrors } = await openContext();
    try {
      await context.route(`**/k/${CONTAINER_TOKEN}?p=*`, (route) => route.abort("blockedbyclient"));
      const page = await context.newPage();
      await page.goto(demoUrl);
      const report = await detectionReport(requests);
      assert.equal(report.loader_token, LOADER_TOKEN);
      assert.deepEqual(await page.evaluate(() => window.dataLayer.map((entry) => entry.event)), ["gtm.js"]);
      assert.equal(await page.evaluate(() => document.querySelector("h1").textContent), "Demo shop");
      assert.deepEqual(pageErrors, []);
    } finally {
      await context.close();
    }
  });

  it("builds every URL from its own script URL when served from the edge hostname", async () => {
    standin.hits.splice(0);
    const { context, requests, leaks, pageErrors } = await openContext();
    try {
      const edgeOrigin = `http://${EDGE_HOST}:${worker.port}`;
      const page = await context.newPage();
      const pageUrl = `${demoUrl}?loader_origin=${encodeURIComponent(edgeOrigin)}`;
      await page.goto(pageUrl);
      assertHitsArrivedIntact(await collectHits(), { page: pageUrl, edgeHost: EDGE_HOST });
      await detectionReport(requests);
      const urls = requests.map((request) => request.url());
      for (const path of ["/boot", "/mark-session-detection", `/k/${CONTAINER_TOKEN}?p=`]) {
        assert.ok(urls.some((url) => url.startsWith(`${edgeOrigin}${path}`)), `${path} on the loader's host`);
      }
      assert.deepEqual(leaks, []);
      assert.deepEqual(pageErrors, []);
    } finally {
      await context.close();
    }
  });

  it("restores _ga from /boot after document.cookie lost it", async () => {
    const { context, requests, pageErrors } = await openContext();
    const cookieNamed = async (name) => (await context.cookies()).find((cookie) => cookie.name === name);
    try {
      const page = await context.newPage();
      // First visit: GTM sets _ga, the stand-in sets FPID. Second visit: hits carry both, so the edge keeps _ga.
      standin.hits.splice(0);
      await page.goto(demoUrl);
      await collectHits();
      const fpid = await waitFor("the HttpOnly FPID", () => cookieNamed("FPID"));
      assert.equal(fpid.httpOnly, true);
      const ga = await page.evaluate(() => document.cookie.match(/(?:^|; )_ga=([^;]*)/)?.[1]);
      assert.ok(ga, "GTM set _ga");
      standin.hits.splice(0);
      await page.reload();
      await collectHits();
      // Every hit's response (the edge re-issues _ga on it) must be in before _ga is deleted.
      await page.waitForLoadState("networkidle");

      await page.evaluate(() => {
        for (const domain of ["", "; Domain=shop.localhost"]) document.cookie = `_ga=; Max-Age=0; Path=/${domain}`;
      });
      assert.equal(await page.evaluate(() => document.cookie.includes("_ga=")), false, "_ga is gone");

      standin.hits.splice(0);
      requests.splice(0);
      await page.reload();
      const hits = await collectHits();
      const boot = requests.find((request) => request.url().endsWith("/boot"));
      const bootBody = await (await boot.response()).json();
      assert.deepEqual(
        bootBody.restoreCookies.find((cookie) => cookie.name === "_ga"),
        { name: "_ga", value: ga, maxAge: 395 * 86400, domain: SHOP_HOST },
        "the edge handed _ga back to the loader",
      );
      assert.equal(await page.evaluate(() => document.cookie.match(/(?:^|; )_ga=([^;]*)/)?.[1]), ga, "_ga restored");
      const cid = ga.split(".").slice(2).join(".");
      for (const transport of TRANSPORTS) {
        assert.equal(new URLSearchParams(hits.get(transport).query).get("cid"), cid, `${transport} keeps the client id`);
      }
      assert.deepEqual(pageErrors, []);
    } finally {
      await context.close();
    }
  });
});
