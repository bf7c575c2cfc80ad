// Pure parts of `npm run edge -- check-site <url>`: which URL to ask, and what the two answers
// of `{prefix}/.well-known/qaxal-check` (the edge's report of what it saw, contract section 10)
// say about the customer's reverse proxy, in plain words. The I/O is in scripts/edgectl.mjs.
import { UsageError } from "./parts.mjs";

export const SITE_CHECK_PATH = "/.well-known/qaxal-check";
export const CHECK_COOKIE = "qaxal_check";
const PREFIX_RE = /^\/[A-Za-z0-9_-]{1,32}$/;
const HOST_RE = /^[a-z0-9](?:[a-z0-9.-]{0,251}[a-z0-9])?$/;
/** Cache verdicts of common CDNs (cf-cache-status, x-cache, x-vercel-cache, RFC 9211 Cache-Status) that mean "served from cache". */
const CACHE_HIT_RE = /\b(hit|stale|updating|revalidated)\b/i;
const CACHE_HEADERS = ["cf-cache-status", "x-cache", "x-vercel-cache", "cache-status", "x-nf-cache-status"];

/** `https://example.com/metrics` -> { origin, siteHost, prefix }; throws UsageError naming what is wrong. */
export function siteCheckTarget(input) {
  let url;
  try {
    url = new URL(input);
  } catch {
    throw new UsageError(`${input} is not a URL: give the site's URL with its path prefix, e.g. https://example.com/metrics`);
  }
  if (url.protocol !== "https:" && url.protocol !== "http:") throw new UsageError(`${input}: only http(s) URLs`);
  if (url.username || url.password || url.search || url.hash) throw new UsageError(`${input}: no credentials, query or fragment, just https://host/prefix`);
  const prefix = url.pathname.replace(/\/$/, "");
  if (!PREFIX_RE.test(prefix)) {
    throw new UsageError(`${input}: the path must be the site's path_prefix (/ and 1-32 characters A-Z a-z 0-9 _ -), e.g. https://${url.host}/metrics`);
  }
  if (!HOST_RE.test(url.hostname)) throw new UsageError(`${input}: ${url.hostname} is not a hostname`);
  return { origin: url.origin, siteHost: url.hostname, prefix };
}

export function checkUrl(target, nonce) {
  return `${target.origin}${target.prefix}${SITE_CHECK_PATH}?nonce=${encodeURIComponent(nonce)}`;
}

/**
 * What the two answers say. `first`/`second`: { status, headers: Headers, text } of two requests
 * with `nonces[0]`/`nonces[1]` and the test cookie. `edgeHostname`: the container's edge
 * hostname when known (else only "Host is still the site's" can be told).
 * @returns {{ ok: boolean, problems: {code: string, message: string}[], passed: string[], seen: object|null }}
 */
export function diagnoseSiteCheck(target, first, second, nonces, edgeHostname = null) {
  const problems = [];
  const passed = [];
  const problem = (code, message) => problems.push({ code, message });
  const seen = edgeReport(first);
  if (!seen) {
    problem(...notTheEdge(target, first));
    return { ok: false, problems, passed, seen: null };
  }
  passed.push(`${target.prefix}/ reaches the edge through ${target.siteHost}, prefix kept`);

  if (seen.host_seen === target.siteHost) {
    problem("host_not_rewritten", `The edge saw Host: ${target.siteHost}. The proxy must send Host: ${edgeHostname ?? "<the container's edge hostname>"} (nginx: proxy_set_header Host; Caddy: header_up Host).`);
  } else if (edgeHostname && seen.host_seen !== edgeHostname) {
    problem("host_wrong", `The edge saw Host: ${seen.host_seen}, not its hostname ${edgeHostname}. Set Host to ${edgeHostname}.`);
  } else passed.push(`Host is ${seen.host_seen}${edgeHostname ? " (the edge hostname)" : ""}`);

  if (!seen.public_host) problem("public_host_missing", `X-Public-Host is not sent. Add X-Public-Host: ${target.siteHost}.`);
  else if (seen.public_host.toLowerCase() !== target.siteHost) {
    problem("public_host_wrong", `X-Public-Host is ${seen.public_host}, but the site is ${target.siteHost}.`);
  } else passed.push(`X-Public-Host is ${target.siteHost}`);

  if (seen.secret === "missing") {
    problem("secret_missing", "X-Forward-Secret is not sent: the edge ignores the visitor's address and location the proxy reports. Add it (npm run edge -- proxy-config prints it).");
  } else if (seen.secret === "wrong") {
    problem("secret_wrong", "X-Forward-Secret does not match this site's secret (rotated, or another site's): generate the config again with npm run edge -- proxy-config.");
  } else passed.push("X-Forward-Secret matches");

  if (seen.secret === "match") {
    if (seen.client_ip_from_proxy) passed.push(`the visitor's address arrives: the edge saw ${seen.forwarded_for} (it should be this machine's address)`);
    else problem("visitor_ip_missing", "The visitor's address is not passed: X-Forwarded-For is missing or its last entry is not an IP address.");
  }

  if (seen.cookie_seen) passed.push("cookies reach the edge");
  else problem("cookies_stripped", `Cookies are stripped on the way to the edge (the test cookie ${CHECK_COOKIE} did not arrive): FPID and _ga cannot be kept. Forward the Cookie header.`);

  const cached = cacheProblem(target.prefix, first, second, edgeReport(second), nonces);
  if (cached) problem("cached", cached);
  else passed.push("answers are not cached on the way");

  return { ok: problems.length === 0, problems, passed, seen };
}

/** The edge's report, or null when the answer is something else (the site's own page, an error). */
function edgeReport(response) {
  if (response.status !== 200 || !/^application\/json\b/i.test(response.headers.get("content-type") ?? "")) return null;
  try {
    const body = JSON.parse(response.text);
    return body && body.ok === true && typeof body.host_seen === "string" ? body : null;
  } catch {
    return null;
  }
}

function notTheEdge(target, response) {
  const url = `${target.prefix}${SITE_CHECK_PATH}`;
  const type = (response.headers.get("content-type") ?? "no content-type").split(";")[0];
  if (response.status >= 300 && response.status < 400) {
    return ["redirected", `${url} answered ${response.status} with a redirect to ${response.headers.get("location") ?? "?"}: the proxy must forward ${target.prefix}/ to the edge, not redirect the browser.`];
  }
  if (response.status >= 502 && response.status <= 504) {
    return ["edge_unreachable", `${url} answered ${response.status}: the site's proxy could not reach the edge. Check the edge hostname in proxy_pass / reverse_proxy and that TLS uses it (SNI).`];
  }
  const snippet = response.text.slice(0, 120).replace(/\s+/g, " ").trim();
  return [
    "prefix_not_forwarded",
    `${url} answered ${response.status} ${type} instead of the edge's check (${snippet || "empty body"}): requests under ${target.prefix}/ do not reach the edge with the prefix kept, or the edge did not recognise them (Host must be the edge hostname). Install the config from npm run edge -- proxy-config <container> --site ${target.siteHost} --kind <kind>.`,
  ];
}

function cacheProblem(prefix, first, second, secondReport, nonces) {
  if (secondReport?.nonce === nonces[0]) {
    return `The second request got the first one's answer (same nonce): a cache between the browser and the edge stores tracking responses. Bypass the site's CDN cache for ${prefix}/* (the edge sends Cache-Control: no-store).`;
  }
  for (const response of [first, second]) {
    const age = Number(response.headers.get("age") ?? 0);
    if (age > 0) return `An answer came with Age: ${age}: a cache on the way stores tracking responses. Bypass it for ${prefix}/*.`;
    for (const name of CACHE_HEADERS) {
      const value = response.headers.get(name);
      if (value && CACHE_HIT_RE.test(value)) return `An answer came with ${name}: ${value}: the site's CDN serves tracking responses from its cache. Bypass it for ${prefix}/*.`;
    }
    const cacheControl = response.headers.get("cache-control") ?? "";
    if (edgeReport(response) && !/\bno-store\b/i.test(cacheControl)) {
      return `The edge sends Cache-Control: no-store, but the answer arrived with Cache-Control: ${cacheControl || "(none)"}: something on the way rewrites it, and may cache.`;
    }
  }
  if (secondReport && secondReport.nonce !== nonces[1]) return `The second answer echoed nonce ${secondReport.nonce}, not ${nonces[1]}: a cache on the way mixes answers.`;
  return null;
}

/** Plain words, one line per finding. */
export function describeSiteCheck(target, result) {
  const lines = [`check-site ${target.origin}${target.prefix}`];
  for (const line of result.passed) lines.push(`  ✓ ${line}`);
  for (const { message } of result.problems) lines.push(`  ✗ ${message}`);
  lines.push(result.ok ? "same-origin mode works through this proxy" : `${result.problems.length} problem(s) found`);
  return lines.join("\n");
}
