#!/usr/bin/env node
// Loader size budget: checks loader.generated.ts is current, renders the loader for a
// realistic config through the real render.ts, prints minified and gzip sizes, and
// exits 1 when the gzip size is over the budget (every page view downloads it).
import { gzipSync } from "node:zlib";
import { buildLoader, importSource } from "./build-loader.mjs";

export const GZIP_BUDGET_BYTES = 2048;

/** Production-shaped: full-length tokens, every module on. */
export const REALISTIC_CONFIG = {
  container_id: "6f1c2a4e-7b3d-4c8e-9f0a-1b2c3d4e5f60",
  client_id: "0a1b2c3d-4e5f-4a6b-8c7d-8e9f0a1b2c3d",
  config_version: 42,
  origin: "https://sgtm-7.edge-1.example.net:8443",
  edge_hostname: "k7x2m9q4w1.trqaxal.com",
  loader_token: "lt_Qm9vdFN0cmFwTG9hZGVyVG9rZW4x",
  modules: { sgtm_proxy: true, gtm_recovery: true, cookie_keeper: true, adblock_itp_detection: true, custom_domain: true },
  plan: { monthly_request_limit: 1000000, auto_upgrade: false },
  cookie_keeper: { cookies: ["FPID", "_ga", "_ga_*", "_gcl_*"], max_age_days: 395, require_consent: true, restore: true },
  sites: [
    {
      site_id: "3c4d5e6f-7a8b-4c9d-8e0f-1a2b3c4d5e6f",
      primary_host: "www.example-shop.com",
      tracked_domains: ["data.example-shop.com"],
      cookie_domain: "example-shop.com",
      container_token: "ct_U2l0ZUNvbnRhaW5lclRva2VuMDAx",
      web_gtm_id: "GTM-K7X2M9Q",
    },
  ],
  custom_domains: [{ hostname: "data.example-shop.com", verified: true }],
};

async function main() {
  const check = process.env.CI === "true" || process.argv.includes("--check");
  const { changed } = await buildLoader({ check });
  if (changed && check) {
    console.error("✗ src/loader-template/loader.generated.ts is out of date: run `node scripts/build-loader.mjs` and commit it");
    process.exit(1);
  }
  if (changed) console.log("rebuilt src/loader-template/loader.generated.ts from loader.js (commit it)");

  const { renderLoader } = await importSource("src/loader-template/render.ts");
  const { deriveSiteEndpoints } = await importSource("src/shared/site-endpoints.ts");
  const site = REALISTIC_CONFIG.sites[0];
  // The fixed paths of section 3, and a site's own paths (section 9): random names compress worse.
  const variants = [
    ["fixed paths", renderLoader(REALISTIC_CONFIG, site)],
    ["per-site paths", renderLoader(REALISTIC_CONFIG, site, await deriveSiteEndpoints("Zm9yIHRoZSBzaXplIGNoZWNrIG9ubHk"))],
  ];
  let over = false;
  for (const [name, rendered] of variants) {
    const minified = Buffer.byteLength(rendered);
    const gzipped = gzipSync(rendered, { level: 9 }).length;
    console.log(`loader (${name}): ${minified} bytes minified, ${gzipped} bytes gzip (budget ${GZIP_BUDGET_BYTES} gzip)`);
    if (gzipped > GZIP_BUDGET_BYTES) {
      console.error(`✗ loader (${name}) is ${gzipped - GZIP_BUDGET_BYTES} bytes over the gzip budget`);
      over = true;
    }
  }
  if (over) process.exit(1);
}

await main();
