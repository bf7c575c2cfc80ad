#!/usr/bin/env node
// `npm start`: the whole platform on this machine (scripts/dev/platform/index.mjs), its URLs and
// tokens printed and written to <data dir>/local.json, stopped cleanly on Ctrl-C / SIGTERM.
// Options: scripts/dev/platform/options.mjs (`npm start -- --help`).
import { startPlatform } from "./dev/platform/index.mjs";
import { parseStartOptions, USAGE } from "./dev/platform/options.mjs";

if (process.argv.includes("--help")) {
  console.log(USAGE);
  process.exit(0);
}

let options;
try {
  options = parseStartOptions(process.argv.slice(2), process.env, process.cwd());
} catch (error) {
  console.error(`✗ ${error.message}`);
  process.exit(2);
}

const started = Date.now();
const log = (line) => console.log(`[${((Date.now() - started) / 1000).toFixed(1).padStart(5)}s] ${line}`);

// A signal during start-up stops what has started once start-up returns or fails; a second
// signal exits at once (the child groups are killed on exit, see childStarted in dev/platform/index.mjs).
let stopRequested = false;
let platform;
const shutdown = async (signal) => {
  if (stopRequested) {
    log(`${signal} again: exiting now`);
    process.exit(130);
  }
  stopRequested = true;
  if (!platform) {
    log(`${signal}: stopping once start-up has settled (again to exit now)…`);
    return;
  }
  log(`${signal}: stopping…`);
  await platform.stop();
  log("stopped");
  process.exit(0);
};
for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"]) process.on(signal, () => shutdown(signal));

try {
  platform = await startPlatform(options, log);
} catch (error) {
  console.error(`\n✗ npm start failed: ${error.message}`);
  process.exit(1);
}
if (stopRequested) {
  stopRequested = false;
  await shutdown("stop requested during start-up");
}

const { local, localJsonPath } = platform;
if (options.headless) {
  log(`ready ${localJsonPath}`);
} else {
  console.log(banner(local, localJsonPath, ((Date.now() - started) / 1000).toFixed(1)));
}

function sameOriginLine(demo) {
  if (demo.skipped) return `    Same-origin demo: off (${demo.skipped})`;
  return `    Same-origin demo through ${demo.proxy}: ${demo.url}  (tracking under ${demo.prefix}/; its config:
      npm run edge -- proxy-config ${demo.container_id} --site ${new URL(demo.url).hostname} --kind ${demo.proxy})`;
}

function banner(local, path, seconds) {
  const port = new URL(local.edge_url).port;
  const demoLines = local.demo.containers.flatMap((container) => [
    `    ${container.name}  (${container.id})`,
    ...container.sites.map((site) => `      http://${site.host}:${port}/demo?token=${container.loader_token}`),
  ]);
  return `
Qaxal edge is running (ready in ${seconds}s).

  Edge (Worker)        ${local.edge_url}
  Admin API            ${local.edge_url}/_edge/admin/containers   (Bearer token below)
  Functions            ${local.functions_url}/{name}
  Dashboard            ${local.dashboard_url}
  Database             ${local.database_url}
  sGTM stand-in        ${local.sgtm_standin_url}   (hits: /__standin/hits)
  Provisioner stand-in ${local.provisioner_url}

  EDGE_ADMIN_TOKEN           ${local.edge_admin_token}
  SUPABASE_SERVICE_ROLE_KEY  ${local.service_role_key}
  Demo owner                 ${local.demo.owner_email} (JWT in local.json, or: npm run edge -- token --email ${local.demo.owner_email})

  Demo sites (open in a browser; *.localhost resolves to this machine):
${demoLines.join("\n")}
${sameOriginLine(local.demo.same_origin)}

  Everything above is in ${path}
  Logs: ${local.logs}/{functions,wrangler}.log
  Try:  npm run edge -- containers

Ctrl-C stops everything.
`;
}
