#!/usr/bin/env node
// What the power-ups cost a request (docs/power-ups.md): the Worker's own code for the
// origin request — upstreamHeaders, then refusedAtEdge and powerUpsUpstream — bundled by
// esbuild as wrangler bundles it and run in V8 (the engine of workerd): µs per request with
// no power-up, with every one on, and each alone. The power-ups do no I/O, so their cost is
// this CPU time; a whole-Worker throughput mode belongs in proxy-bench.mjs.
//   node scripts/bench/power-ups-cost.mjs [--requests 20000] [--rounds 5]
import { build } from "esbuild";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { pathToFileURL } from "node:url";

const { values } = parseArgs({ options: { requests: { type: "string", default: "20000" }, rounds: { type: "string", default: "5" } } });
const REQUESTS = Number(values.requests);
const ROUNDS = Number(values.rounds);

const dir = mkdtempSync(join(tmpdir(), "power-ups-bench-"));
const entry = join(dir, "entry.ts");
const root = new URL("../../", import.meta.url).pathname;
writeFileSync(entry, `
export { compilePowerUps, refusedAtEdge, powerUpsUpstream } from "${root}src/pipeline/power-ups.ts";
export { upstreamHeaders } from "${root}src/modules/proxy-headers.ts";
export { consentFromHit } from "${root}src/modules/consent.ts";
export { parseEdgeConfig } from "${root}src/shared/edge-config.ts";
`);
await build({ entryPoints: [entry], bundle: true, format: "esm", platform: "neutral", mainFields: ["module", "main"], outfile: join(dir, "bundle.mjs"), logLevel: "error" });
const edge = await import(pathToFileURL(join(dir, "bundle.mjs")).href);
rmSync(dir, { recursive: true, force: true });

const ALL = {
  bot_filter: "flag", blocked_ips: Array.from({ length: 100 }, (_, i) => (i % 2 ? `10.${i}.0.0/16` : `2001:db8:${i.toString(16)}::/48`)),
  anonymizer: "always", device_geo_headers: true, click_id_restore: true, preview_header: "ZGVtby1wcmV2aWV3LWhlYWRlcg",
};
const MODES = {
  none: undefined,
  "every power-up": ALL,
  bot_filter: { bot_filter: "flag" },
  "blocked_ips (100 ranges)": { blocked_ips: ALL.blocked_ips },
  anonymizer: { anonymizer: "always" },
  device_geo_headers: { device_geo_headers: true },
  click_id_restore: { click_id_restore: true },
};

function configWith(powerUps) {
  const parsed = edge.parseEdgeConfig({
    container_id: "6f1c0000-0000-4000-8000-000000000001", client_id: "6f1c0000-0000-4000-8000-000000000002", config_version: 1,
    origin: "https://sgtm.origin.test", edge_hostname: "abc.trqaxal.com", loader_token: "lt_0123456789abcdef",
    modules: { sgtm_proxy: true, gtm_recovery: true, cookie_keeper: true, adblock_itp_detection: true, custom_domain: true },
    plan: { monthly_request_limit: null, auto_upgrade: false },
    sites: [{ site_id: "6f1c0000-0000-4000-8000-000000000003", primary_host: "www.shop.test", cookie_domain: "shop.test",
      container_token: "ct_0123456789abcdef", web_gtm_id: "GTM-ABC123" }],
    ...(powerUps ? { power_ups: powerUps } : {}),
  });
  if (!parsed.ok) throw new Error(JSON.stringify(parsed.issues));
  return parsed.config;
}

const UA = "Mozilla/5.0 (Linux; Android 14; SM-S918B) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.6367.82 Mobile Safari/537.36";
const dl = encodeURIComponent("https://www.shop.test/pricing?utm_source=x");
const upstreamUrl = `https://sgtm.origin.test/g/collect?v=2&tid=G-1&en=page_view&gcs=G111&dl=${dl}`;

function runMode(powerUps) {
  const config = configWith(powerUps);
  const compiled = edge.compilePowerUps(config);
  const site = config.sites[0];
  const requests = Array.from({ length: 256 }, (_, i) => {
    const request = new Request(`https://data.shop.test/g/collect?v=2&n=${i}`, {
      headers: { "User-Agent": UA, "CF-Connecting-IP": `203.0.${i}.77`, Cookie: "_qx_clid=gclid.Cj0KCQ-abc_1; FPID=x", "Sec-CH-UA-Mobile": "?1" },
    });
    return Object.assign(request, { access: { view: { prepared: { config, powerUps: compiled }, site, proxy: null } } });
  });
  const once = (request) => {
    const headers = edge.upstreamHeaders(request, "data.shop.test", request.headers.get("CF-Connecting-IP"), { country: "US", region: "California" });
    if (!compiled) return;
    edge.refusedAtEdge(request);
    edge.powerUpsUpstream(request, compiled, headers, {
      upstreamUrl, site, consent: () => edge.consentFromHit(new URL(upstreamUrl)), cookieKeeper: true, geo: { country: "US", regionCode: "CA" },
    });
  };
  for (let i = 0; i < 2000; i++) once(requests[i % requests.length]); // warm-up
  const rounds = [];
  for (let round = 0; round < ROUNDS; round++) {
    const started = process.hrtime.bigint();
    for (let i = 0; i < REQUESTS; i++) once(requests[i % requests.length]);
    rounds.push(Number(process.hrtime.bigint() - started) / 1000 / REQUESTS);
  }
  rounds.sort((a, b) => a - b);
  return rounds[Math.floor(rounds.length / 2)];
}

const results = Object.entries(MODES).map(([mode, powerUps]) => [mode, runMode(powerUps)]);
const base = results[0][1];
console.log(`power-ups: µs of CPU per proxied request (median of ${ROUNDS} rounds x ${REQUESTS} requests, Node ${process.version})`);
for (const [mode, us] of results) {
  console.log(`  ${mode.padEnd(26)} ${us.toFixed(2).padStart(7)} µs${mode === "none" ? "" : `  (+${(us - base).toFixed(2)} µs)`}`);
}
