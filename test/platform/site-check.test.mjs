// check-site's verdicts on the two answers of {prefix}/.well-known/qaxal-check (scripts/dev/cli/site-check.mjs).
// The same checks against real nginx and Caddy run in test/e2e/same-origin.e2e.mjs.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { UsageError } from "../../scripts/dev/cli/parts.mjs";
import { checkUrl, describeSiteCheck, diagnoseSiteCheck, siteCheckTarget } from "../../scripts/dev/cli/site-check.mjs";

const TARGET = siteCheckTarget("https://www.example.com/metrics");
const NONCES = ["nonce-one", "nonce-two"];
const EDGE = "abc123.trqaxal.com";

/** What the edge reports for a request through a correct proxy, with `changes`. */
function report(nonce, changes = {}) {
  return {
    ok: true, host_seen: EDGE, public_host: "www.example.com", site_id: "s", prefix_seen: "/metrics", secret: "match",
    client_ip_from_proxy: true, forwarded_for: "203.0.113.9", cookie_seen: true, nonce, ...changes,
  };
}

function answer(body, { status = 200, headers = {} } = {}) {
  const text = typeof body === "string" ? body : JSON.stringify(body);
  const type = typeof body === "string" ? "text/html; charset=utf-8" : "application/json";
  return { status, headers: new Headers({ "content-type": type, "cache-control": "no-store", ...headers }), text };
}

function diagnose(changes = {}, { first = {}, second = {}, edgeHostname = EDGE } = {}) {
  return diagnoseSiteCheck(
    TARGET,
    answer(report(NONCES[0], changes), first),
    answer(report(second.nonce ?? NONCES[1], changes), second),
    NONCES,
    edgeHostname,
  );
}

const codes = (result) => result.problems.map((problem) => problem.code);

describe("siteCheckTarget", () => {
  it("takes the site URL with its prefix", () => {
    assert.deepEqual(siteCheckTarget("https://example.com/metrics/"), { origin: "https://example.com", siteHost: "example.com", prefix: "/metrics" });
    assert.equal(checkUrl(TARGET, "n 1"), "https://www.example.com/metrics/.well-known/qaxal-check?nonce=n%201");
  });

  for (const [input, message] of [
    ["example.com/metrics", /not a URL/],
    ["https://example.com", /must be the site's path_prefix/],
    ["https://example.com/a/b", /must be the site's path_prefix/],
    ["https://example.com/metrics?x=1", /no credentials, query or fragment/],
    ["ftp://example.com/metrics", /only http/],
  ]) {
    it(`refuses ${input}`, () => assert.throws(() => siteCheckTarget(input), (e) => e instanceof UsageError && message.test(e.message)));
  }
});

describe("diagnoseSiteCheck", () => {
  it("a correct proxy: every check passes", () => {
    const result = diagnose();
    assert.deepEqual(result.problems, []);
    assert.equal(result.ok, true);
    assert.match(describeSiteCheck(TARGET, result), /✓ \/metrics\/ reaches the edge.*\n.*✓ Host is abc123\.trqaxal\.com \(the edge hostname\)[\s\S]*the edge saw 203\.0\.113\.9[\s\S]*same-origin mode works/);
  });

  it("the site's own page under the prefix: not forwarded", () => {
    const page = answer("<!doctype html><title>Not found</title>", { status: 404 });
    const result = diagnoseSiteCheck(TARGET, page, page, NONCES, EDGE);
    assert.deepEqual(codes(result), ["prefix_not_forwarded"]);
    assert.match(result.problems[0].message, /answered 404 text\/html instead of the edge's check \(<!doctype html><title>Not found<\/title>\)/);
  });

  it("a JSON answer that is not the edge's report: not forwarded", () => {
    const other = answer({ error: "not_found" }, { status: 404 });
    assert.deepEqual(codes(diagnoseSiteCheck(TARGET, other, other, NONCES, EDGE)), ["prefix_not_forwarded"]);
  });

  it("a gateway error: the proxy cannot reach the edge; a redirect: not a proxy", () => {
    const bad = answer("<html>Bad Gateway</html>", { status: 502 });
    assert.deepEqual(codes(diagnoseSiteCheck(TARGET, bad, bad, NONCES, EDGE)), ["edge_unreachable"]);
    const moved = answer("", { status: 301, headers: { location: "https://abc123.trqaxal.com/metrics/.well-known/qaxal-check" } });
    const result = diagnoseSiteCheck(TARGET, moved, moved, NONCES, EDGE);
    assert.deepEqual(codes(result), ["redirected"]);
    assert.match(result.problems[0].message, /redirect to https:\/\/abc123\.trqaxal\.com/);
  });

  it("Host left as the site's, or another host", () => {
    assert.deepEqual(codes(diagnose({ host_seen: "www.example.com" })), ["host_not_rewritten"]);
    assert.deepEqual(codes(diagnose({ host_seen: "www.example.com" }, { edgeHostname: null })), ["host_not_rewritten"]);
    assert.deepEqual(codes(diagnose({ host_seen: "data.example.com" })), ["host_wrong"]);
    // Without the edge hostname only the first mistake can be told.
    assert.deepEqual(codes(diagnose({ host_seen: "data.example.com" }, { edgeHostname: null })), []);
  });

  it("X-Public-Host missing or another site's", () => {
    assert.deepEqual(codes(diagnose({ public_host: null })), ["public_host_missing"]);
    assert.deepEqual(codes(diagnose({ public_host: "shop.example.org" })), ["public_host_wrong"]);
    assert.deepEqual(codes(diagnose({ public_host: "WWW.Example.com" })), []);
  });

  it("secret missing or wrong (the visitor's address then is ignored, not reported twice)", () => {
    const ignored = { client_ip_from_proxy: false, forwarded_for: null };
    assert.deepEqual(codes(diagnose({ secret: "missing", ...ignored })), ["secret_missing"]);
    assert.deepEqual(codes(diagnose({ secret: "wrong", ...ignored })), ["secret_wrong"]);
  });

  it("no visitor address, stripped cookies", () => {
    assert.deepEqual(codes(diagnose({ client_ip_from_proxy: false, forwarded_for: null })), ["visitor_ip_missing"]);
    assert.deepEqual(codes(diagnose({ cookie_seen: false })), ["cookies_stripped"]);
  });

  it("a cache on the way: the first answer twice, Age, a CDN's HIT, or Cache-Control rewritten", () => {
    assert.deepEqual(codes(diagnose({}, { second: { nonce: NONCES[0] } })), ["cached"]);
    assert.deepEqual(codes(diagnose({}, { second: { headers: { age: "12" } } })), ["cached"]);
    assert.deepEqual(codes(diagnose({}, { second: { headers: { "cf-cache-status": "HIT" } } })), ["cached"]);
    assert.deepEqual(codes(diagnose({}, { first: { headers: { "x-cache": "Hit from cloudfront" } } })), ["cached"]);
    assert.deepEqual(codes(diagnose({}, { second: { headers: { "cache-status": "Netlify Edge; hit" } } })), ["cached"]);
    assert.deepEqual(codes(diagnose({}, { first: { headers: { "cache-control": "public, max-age=300" } } })), ["cached"]);
    assert.deepEqual(codes(diagnose({}, { second: { nonce: "somebody-else" } })), ["cached"]);
    // What a CDN says when it did not cache.
    assert.deepEqual(codes(diagnose({}, { first: { headers: { "cf-cache-status": "DYNAMIC", age: "0" } } })), []);
  });

  it("reports every problem at once", () => {
    const result = diagnose({ public_host: null, secret: "missing", client_ip_from_proxy: false, cookie_seen: false });
    assert.deepEqual(codes(result), ["public_host_missing", "secret_missing", "cookies_stripped"]);
    assert.match(describeSiteCheck(TARGET, result), /3 problem\(s\) found$/);
  });
});
