// The "list maintainer" (contract section 9): rules written from two customers' URLs must not
// block a third customer, checked with uBlock Origin's own engine. A rule that would also block
// ordinary site assets cannot ship in a list, so such fragments are not candidates. Positive
// control: the same method blocks a third site on the fixed paths of section 3.
import assert from "node:assert/strict";
import { test } from "node:test";
import { StaticNetFilteringEngine } from "@gorhill/ubo-core";
import { importSource } from "../../scripts/build-loader.mjs";

const { deriveSiteEndpoints, encodePayload } = await importSource("src/shared/site-endpoints.ts");
const { encodeRecoveryParam } = await importSource("src/modules/recovery-path.ts");

const ORDINARY_ASSETS = [
  "/static/js/app.min.js", "/assets/main.bundle.js", "/js/vendor.v2.js", "/dist/chunk-3f2a.mjs", "/api/cart.json",
  "/index.php?page=2", "/search.aspx?q=shoes", "/images/pixel.gif", "/robots.txt", "/about.html", "/login.do",
  "/products/", "/feed/", "/wp-content/themes/shop/style.css", "/cdn/fonts/inter.woff2",
];

function hitsOf(gtmId, measurementId, cid = "123.456") {
  return [
    `/gtm.js?id=${gtmId}`,
    `/g/collect?v=2&tid=${measurementId}&gtm=45je5&_p=1&cid=${cid}&en=page_view&dl=https%3A%2F%2Fshop%2F&gcs=G111`,
    `/g/collect?v=2&tid=${measurementId}&gtm=45je5&_p=1&cid=${cid}&en=scroll&epn.percent_scrolled=90&gcs=G111`,
    `/g/collect?v=2&tid=${measurementId}&gtm=45je5&_p=1&cid=${cid}&en=purchase&ep.value=10&gcs=G111`,
  ];
}

/** Every URL one page view of a site makes to the edge (what a maintainer sees in the network panel). */
async function keyedPageLoad(n, cid) {
  const endpoints = await deriveSiteEndpoints(`customer-${n}-endpoint-key-0123456789`);
  const host = `https://www.customer${n}.example`;
  const [gtm, ...hits] = hitsOf(`GTM-ABC${n}XY`, `G-MEAS${n}XYZ`, cid);
  return [
    host + endpoints.loader,
    `${host}${endpoints.gtm}?${endpoints.param}=${encodePayload(gtm, endpoints.codec)}`,
    ...hits.map((hit) => `${host}${endpoints.hit}?${endpoints.param}=${encodePayload(hit, endpoints.codec)}`),
    host + endpoints.boot,
    host + endpoints.detect,
  ];
}

function fixedPageLoad(n) {
  const host = `https://www.customer${n}.example`;
  const ct = `ct_${Buffer.from(`container-token-${n}`).toString("base64url")}`;
  const [gtm, ...hits] = hitsOf(`GTM-ABC${n}XY`, `G-MEAS${n}XYZ`);
  return [
    `${host}/l/lt_${Buffer.from(`loader-token-${n}`).toString("base64url")}.js`,
    `${host}/k/${ct}?p=${encodeRecoveryParam(gtm)}`,
    ...hits.map((hit) => `${host}/k/${ct}?p=${encodeRecoveryParam(hit)}`),
    `${host}/boot`,
    `${host}/mark-session-detection`,
  ];
}

/** Every fragment of >= 5 characters that two sites' URLs (path and query) share and no ordinary asset has. */
function candidateRules(urlsA, urlsB) {
  const tail = (url) => url.slice(new URL(url).origin.length);
  const fragments = new Set();
  for (const a of urlsA.map(tail)) {
    for (let i = 0; i < a.length; i++) {
      for (let j = i + 5; j <= a.length; j++) fragments.add(a.slice(i, j));
    }
  }
  const shared = [...fragments].filter((fragment) => urlsB.some((b) => tail(b).includes(fragment)));
  const shippable = shared.filter((fragment) => !ORDINARY_ASSETS.some((asset) => asset.includes(fragment)));
  // Keep the maximal ones: a shorter fragment inside a kept one adds nothing but duplicates.
  return shippable.filter((fragment) => !shippable.some((other) => other !== fragment && other.includes(fragment)));
}

/** A uBO filter that matches a literal fragment anywhere in the URL (`/…/` alone would be a regex). */
function asFilter(fragment) {
  const literal = fragment.replace(/[*^|$]/g, "");
  return literal.startsWith("/") && literal.endsWith("/") ? `${literal}*` : literal;
}

// The engine allows one instance; useLists replaces its lists each time.
const engine = await StaticNetFilteringEngine.create();

async function blocked(rules, urls) {
  await engine.useLists([{ name: "maintainer", raw: rules.map(asFilter).join("\n") }]);
  const verdict = urls.filter((url) => engine.matchRequest({ originURL: new URL(url).origin + "/", url, type: "xmlhttprequest" }) === 1);
  return verdict;
}

test("rules from two customers on the fixed paths block a third (positive control)", async () => {
  const rules = candidateRules(fixedPageLoad(1), fixedPageLoad(2));
  assert.ok(rules.some((rule) => rule.includes("/k/ct_")), `expected /k/ct_ among ${JSON.stringify(rules.slice(0, 8))}`);
  const third = fixedPageLoad(3);
  assert.equal((await blocked(rules, third)).length, third.length);
});

test("rules from any two customers on their own paths block no hit of a third", async () => {
  let rulesTried = 0;
  for (let trio = 0; trio < 12; trio++) {
    const [a, b, c] = await Promise.all([keyedPageLoad(trio * 3), keyedPageLoad(trio * 3 + 1), keyedPageLoad(trio * 3 + 2)]);
    const rules = candidateRules(a, b);
    rulesTried += rules.length;
    assert.deepEqual(await blocked(rules, c), [], `rules ${JSON.stringify(rules)} block customer ${trio * 3 + 2}`);
    // The method is live: rules from two visitors of one site do block a third visitor of that site
    // (per-site endpoints remove what customers share; they are not a secret).
    const [v1, v2, v3] = await Promise.all(["111.1", "222.2", "333.3"].map((cid) => keyedPageLoad(trio * 3, cid)));
    const visitorHits = v3.slice(2, 5);
    assert.deepEqual(await blocked(candidateRules(v1, v2), visitorHits), visitorHits);
  }
  console.log(`# ${rulesTried} candidate rules from 12 pairs of customers; none blocked the third`);
});
