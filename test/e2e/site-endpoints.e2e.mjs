// Per-site endpoints (contract section 9) in real Chromium: a page that embeds only the loader
// path the admin API names delivers every GA4 hit, with no URL sharing a fixed fragment with
// other customers, also behind a blocker that knows every fixed path of the product.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { startSgtmStandin } from "../../scripts/dev/standins/sgtm.mjs";
import { pushConfig, startWorker } from "./worker-process.mjs";
import { GOOGLE_TAG_HOST, launchChromium, observedContext, waitFor } from "./browser.mjs";

const ADMIN_TOKEN = "e2e-admin-token-0123456789abcdef";
const CONTAINER_ID = "e2e00000-0000-4000-8000-000000000091";
const SITE_HOST = "keyed.localhost";
const WEB_GTM_ID = "GTM-KEYED01";
const TRANSPORTS = ["fetch", "beacon", "xhr", "pixel"];

/** A blocker that knows Google's hosts and patterns and every fixed path and marker of this product. */
const PRODUCT_SIGNATURES = ["/k/ct_", "/l/lt_", "?p=", "/boot", "/mark-session-detection", "/g/collect", "gtm.js", "GTM-"];
const blockerDrops = (url) => GOOGLE_TAG_HOST.test(url.hostname) || PRODUCT_SIGNATURES.some((fragment) => url.href.includes(fragment));

function edgeConfig(origin) {
  return {
    container_id: CONTAINER_ID,
    client_id: "e2e00000-0000-4000-8000-000000000092",
    config_version: 1,
    origin,
    edge_hostname: "keyed-edge.localhost",
    loader_token: "lt_e2e_keyed_loader_0001",
    modules: { sgtm_proxy: true, gtm_recovery: true, cookie_keeper: true, adblock_itp_detection: true, custom_domain: false },
    plan: { monthly_request_limit: null, auto_upgrade: false },
    sites: [
      {
        site_id: "e2e00000-0000-4000-8000-000000000093",
        primary_host: SITE_HOST,
        tracked_domains: [],
        cookie_domain: SITE_HOST,
        container_token: "ct_e2e_keyed_container_01",
        web_gtm_id: WEB_GTM_ID,
        endpoint_key: "e2e-keyed-endpoint-key-0123456789",
      },
    ],
  };
}

describe("per-site endpoints in Chromium", () => {
  let standin;
  let worker;
  let browser;
  let loaderPath;

  before(async () => {
    standin = await startSgtmStandin({ port: 0 });
    worker = await startWorker({ adminToken: ADMIN_TOKEN });
    await pushConfig(worker, ADMIN_TOKEN, edgeConfig(standin.url));
    const inspected = await fetch(`${worker.url}/_edge/admin/containers/${CONTAINER_ID}`, {
      headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
    });
    loaderPath = (await inspected.json()).sites[0].endpoints.loader;
    browser = await launchChromium();
  });

  after(async () => {
    await browser?.close().catch(() => {});
    await worker?.stop();
    await standin?.close();
    if (worker && process.exitCode) console.error(`wrangler dev output:\n${worker.output()}`);
  });

  it("the same blocker stops a page that embeds the fixed /l/ loader (the control)", async () => {
    standin.hits.splice(0);
    const context = await browser.newContext();
    const blocked = [];
    await context.route(
      () => true,
      (route) => {
        const url = new URL(route.request().url());
        if (blockerDrops(url)) {
          blocked.push(url.pathname);
          return route.abort("blockedbyclient");
        }
        return url.hostname === SITE_HOST ? route.continue() : route.abort("internetdisconnected");
      },
    );
    try {
      const page = await context.newPage();
      await page.goto(`http://${SITE_HOST}:${worker.port}/demo?token=${edgeConfig("").loader_token}`);
      await page.waitForLoadState("networkidle");
      assert.ok(blocked.some((path) => path.startsWith("/l/lt_")), `the fixed loader path is blocked, saw ${blocked}`);
      assert.equal(standin.hits.filter((hit) => hit.path === "/g/collect").length, 0);
    } finally {
      await context.close();
    }
  });

  for (const blocker of [false, true]) {
    it(`delivers every hit through the site's own paths${blocker ? " behind a blocker that knows every fixed path" : ""}`, async () => {
      standin.hits.splice(0);
      const { context, requests, leaks, pageErrors } = await observedContext(browser, {
        localHosts: [SITE_HOST, "127.0.0.1"],
        drops: blocker ? blockerDrops : null,
      });
      try {
        const page = await context.newPage();
        const demoUrl = `http://${SITE_HOST}:${worker.port}/demo?loader_path=${encodeURIComponent(loaderPath)}`;
        // The demo page itself is proxied by the edge to the stand-in; its URL is the test's, not the loader's.
        await page.goto(demoUrl);
        const byTransport = await waitFor("one /g/collect hit per transport at the stand-in", () => {
          const found = new Map();
          for (const hit of standin.hits) if (hit.path === "/g/collect") found.set(new URLSearchParams(hit.query).get("_tr"), hit);
          return TRANSPORTS.every((transport) => found.has(transport)) && found;
        });
        for (const transport of TRANSPORTS) {
          const query = new URLSearchParams(byTransport.get(transport).query);
          assert.equal(query.get("gtm"), WEB_GTM_ID, `${transport}: the hit of this site's GTM`);
        }
        assert.deepEqual(
          standin.hits.filter((hit) => hit.path === "/gtm.js").map((hit) => hit.query),
          [`?id=${WEB_GTM_ID}`],
        );
        await waitFor("the detection report", () =>
          requests.some((request) => request.method() === "POST" && !request.url().includes("/demo") && request.postData()?.includes("session_id")),
        );
        const trackingUrls = requests.map((request) => request.url()).filter((url) => !url.includes("/demo"));
        const signatures = trackingUrls.filter((url) => PRODUCT_SIGNATURES.some((fragment) => url.includes(fragment)));
        assert.deepEqual(signatures, [], "no request carries a fixed fragment of the product");
        assert.deepEqual(leaks, [], "no request tried to leave the machine");
        assert.deepEqual(pageErrors, []);
      } finally {
        await context.close();
      }
    });
  }
});
