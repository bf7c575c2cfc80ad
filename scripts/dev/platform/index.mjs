// The whole platform on one machine (what `npm start` runs): database + migrations + seed,
// the sGTM and provisioner stand-ins, the functions under Deno, the Worker under
// `wrangler dev`, the first config sync, the scheduled jobs and the operator dashboard.
// `startPlatform` resolves once every container is confirmed at the edge; whatever fails
// on the way stops what had started. `stop()` stops everything, in reverse order.
import { randomBytes } from "node:crypto";
import { writeFileSync } from "node:fs";
import { mkdir, readFile, rm, writeFile } from "node:fs/promises";
import { dirname } from "node:path";
import postgres from "postgres";
import { readApi } from "../dashboard/data.mjs";
import { startDashboard } from "../dashboard/index.mjs";
import { migrate, startDatabase } from "./db.mjs";
import { controlPlane as controlPlaneClient, edgeAdmin } from "./api.mjs";
import { DENO_RUN, denoBinary, denoEnv, root, runDenoScript } from "./deno.mjs";
import { scheduleJobs } from "./jobs.mjs";
import { DEFAULT_PORTS, dataPaths } from "./options.mjs";
import {
  DEMO_CLIENT_ID,
  DEMO_OWNER_EMAIL,
  DEMO_OWNER_ID,
  demoContainers,
  repointOrigins,
  seedContainers,
  seedDatabase,
} from "./seed.mjs";
import { startDomainServices, verifyDemoDomains } from "./domains.mjs";
import { enableSameOriginDemo, startSameOriginDemo } from "./same-origin-demo.mjs";
import { enablePowerUpsDemo } from "./power-ups-demo.mjs";
import { startWorker } from "./worker.mjs";
import { ensurePortFree, freePort, spawnService, waitUntilReady } from "./processes.mjs";
import { startPostgrestStandin } from "../standins/postgrest.mjs";
import { startProvisionerStandin } from "../standins/provisioner.mjs";
import { startSgtmStandin } from "../standins/sgtm.mjs";
import { startSmtpStandin } from "../standins/smtp.mjs";

const FUNCTIONS_START_TIMEOUT_MS = 60_000;
/** Generated edge hostnames (`<id>.edge.localhost`) resolve to loopback in browsers. */
const EDGE_HOSTNAME_ZONE = "edge.localhost";
/** Plan of the demo containers: every module, a limit the demo never reaches. */
const DEMO_PLAN_ID = "pro";
const OWNER_JWT_TTL_SECONDS = 12 * 3600;

/**
 * @param {{ dataDir: string, ports: "fixed"|"random", jobsEverySeconds: number }} options
 * @param {(line: string) => void} log progress lines
 */
export async function startPlatform(options, log) {
  const paths = dataPaths(options.dataDir);
  const cleanups = [];
  const stop = async () => {
    for (const cleanup of cleanups.splice(0).reverse()) {
      await cleanup().catch((error) => log(`while stopping: ${error.message}`));
    }
  };
  try {
    return { ...(await start(options, paths, cleanups, log)), stop };
  } catch (error) {
    await stop();
    throw error;
  }
}

async function start(options, paths, cleanups, log) {
  const deno = denoBinary();
  await mkdir(paths.logs, { recursive: true });
  // Runs last on stop: every child is gone by then, so there is nothing left to announce.
  cleanups.push(() => rm(paths.pids, { force: true }));
  const ports = await choosePorts(options.ports);
  const secrets = await loadOrCreateSecrets(paths.secrets);

  log(process.env.DATABASE_URL ? "database: DATABASE_URL" : `database: PGlite in ${paths.pglite}`);
  await mkdir(paths.pglite, { recursive: true });
  const db = await startDatabase({ dataDir: paths.pglite, port: ports.database });
  cleanups.push(() => db.close());
  const applied = await migrate(db.url).catch((error) => {
    throw new Error(`migration failed: ${error.message}`);
  });
  log(`database: ${applied.length} migration(s) applied`);
  const sql = postgres(db.url, { max: 2, prepare: false, onnotice: () => {} });
  cleanups.push(() => sql.end({ timeout: 2 }));
  await seedDatabase(sql);

  const sgtm = await startSgtmStandin({ port: ports.sgtm });
  cleanups.push(() => sgtm.close());
  const provisioner = await startProvisionerStandin({
    port: ports.provisioner, origin: sgtm.url, token: secrets.provisioner_token,
  });
  cleanups.push(() => provisioner.close());
  // Alert email goes to a real SMTP listener here (SMTP_URL, unless set to a server of yours).
  const smtp = await startSmtpStandin();
  cleanups.push(() => smtp.close());
  const smtpUrl = process.env.SMTP_URL ?? smtp.smtpUrl;
  log(`stand-ins: sGTM ${sgtm.url}, provisioner ${provisioner.url}, SMTP ${smtp.smtpUrl} (mail: ${smtp.url}/__standin/messages)`);
  const domainServices = await startDomainServices();
  cleanups.push(() => domainServices.close());
  log(`dns: ${domainServices.local ? `local authoritative server on ${domainServices.resolver}` : `DNS_RESOLVER ${domainServices.resolver}`}; ` +
    `Cloudflare custom hostnames stand-in ${domainServices.cloudflare.url}`);
  const repointed = await repointOrigins(sql, sgtm.url);
  if (repointed) log(`seed: ${repointed} container(s) now use this sGTM stand-in`);

  const edgeUrl = `http://127.0.0.1:${ports.edge}`;
  const functionsBase = `http://127.0.0.1:${ports.functions}`;
  const functionsUrl = `${functionsBase}/functions/v1`;
  log("starting the functions (Deno) and the Worker (wrangler dev)…");
  const functions = spawnService("functions server (Deno)", deno, [
    ...DENO_RUN, `${root}scripts/dev/platform/functions.ts`, String(ports.functions), paths.signingKey,
  ], {
    cwd: root,
    logFile: `${paths.logs}/functions.log`,
    env: denoEnv({
      SUPABASE_URL: functionsBase,
      SUPABASE_ANON_KEY: "local-anon-key",
      SUPABASE_DB_URL: db.url,
      SUPABASE_SERVICE_ROLE_KEY: secrets.service_role_key,
      EDGE_AUTH_SECRET: secrets.edge_auth_secret,
      EDGE_ADMIN_URL: edgeUrl,
      EDGE_ADMIN_TOKEN: secrets.edge_admin_token,
      INFRA_PROVISIONER_URL: provisioner.url,
      INFRA_PROVISIONER_TOKEN: secrets.provisioner_token,
      EDGE_HOSTNAME_ZONE,
      DEFAULT_PLAN_ID: DEMO_PLAN_ID,
      SMTP_URL: smtpUrl,
      // local receivers listen on loopback over http; deployed, webhook targets must be https
      ALERT_WEBHOOK_ALLOW_HTTP: "true",
      ...domainServices.env,
    }),
  });
  cleanups.push(() => functions.stop());
  childStarted(paths, "functions", functions.pid);
  const workerStarting = startWorker({
    port: ports.edge,
    persistTo: paths.wrangler,
    logFile: `${paths.logs}/wrangler.log`,
    onSpawn: (pid) => childStarted(paths, "wrangler", pid),
    vars: {
      EDGE_ADMIN_TOKEN: secrets.edge_admin_token,
      EDGE_AUTH_SECRET: secrets.edge_auth_secret,
      CONTROL_PLANE_URL: functionsUrl,
    },
  });
  // The worker is stopped however the steps below end (its own start failure stops itself).
  cleanups.push(() => workerStarting.then((worker) => worker.stop(), () => {}));
  await waitUntilReady(functions, "ready line", async () => functions.output().includes("ready http"), FUNCTIONS_START_TIMEOUT_MS);
  log(`functions: ${functionsUrl}`);
  // Only now: the functions server made the signing key on a first run.
  const ownerJwt = runDenoScript("scripts/dev/platform/token.ts", [
    paths.signingKey, DEMO_OWNER_ID, DEMO_OWNER_EMAIL, String(OWNER_JWT_TTL_SECONDS),
  ], { SUPABASE_URL: functionsBase });
  ownerJwt.catch(() => {});
  const worker = await workerStarting;
  log(`worker: ${edgeUrl} (wrangler dev, state in ${paths.wrangler})`);

  const admin = edgeAdmin(edgeUrl, secrets.edge_admin_token);
  const controlPlane = controlPlaneClient(functionsUrl, secrets.service_role_key);
  const seeded = await seedContainers(sql, { functionsUrl, ownerJwt: await ownerJwt });
  log(`seed: ${seeded.created.length} demo container(s) created through sgtm-containers, ${seeded.kept.length} kept`);
  const demoIds = (await demoContainers(sql)).map((c) => c.id);
  for (const [host, before, after] of await verifyDemoDomains({
    functionsUrl, ownerJwt: await ownerJwt, containerIds: demoIds, local: domainServices.local,
  })) log(`domains: ${host} ${before === after ? after : `${before} -> ${after}${after === "verified" ? " (routed)" : ""}`}`);
  await enableSameOriginDemo({ sql, clientId: DEMO_CLIENT_ID, functionsUrl, ownerJwt: await ownerJwt });
  const poweredUp = await enablePowerUpsDemo({ sql, clientId: DEMO_CLIENT_ID, functionsUrl, ownerJwt: await ownerJwt });
  if (poweredUp) log(`power-ups: every one on for ${poweredUp} (npm run edge -- power-ups ${poweredUp})`);
  await sql`
    insert into public.alert_targets (client_id, kind, email)
    select ${DEMO_CLIENT_ID}, 'email', ${DEMO_OWNER_EMAIL}
    where not exists (select 1 from public.alert_targets where client_id = ${DEMO_CLIENT_ID} and kind = 'email')`;
  const confirmed = await firstSync(sql, admin, controlPlane);
  log(`sync: ${confirmed} container(s) confirmed at the edge`);

  const jobs = scheduleJobs({ controlPlane, intervalMs: options.jobsEverySeconds * 1000, log });
  cleanups.push(() => jobs.stop());
  // The Data API (PostgREST) stand-in: supabase-js reads through it under RLS, the dashboard as the service role.
  const restSql = postgres(db.url, { max: 4, prepare: false, onnotice: () => {} });
  cleanups.push(() => restSql.end({ timeout: 2 }));
  const rest = await startPostgrestStandin({ sql: restSql, serviceRoleKey: secrets.service_role_key, supabaseUrl: functionsBase, port: ports.rest });
  cleanups.push(() => rest.close());
  const dashboard = await startDashboard({ port: ports.dashboard, admin, db: readApi(rest.url, secrets.service_role_key) });
  cleanups.push(() => dashboard.close());
  const { stop: stopSameOrigin, pid: siteProxyPid, ...sameOrigin } = await startSameOriginDemo({
    sql, admin, clientId: DEMO_CLIENT_ID, edgeUrl, port: ports.site, dir: paths.sameOrigin,
    onSpawn: (pid) => childStarted(paths, "site proxy", pid),
  });
  if (stopSameOrigin) cleanups.push(stopSameOrigin);
  log(sameOrigin.skipped ? `same-origin demo: off (${sameOrigin.skipped})` : `same-origin demo: ${sameOrigin.url} through ${sameOrigin.proxy}`);

  const local = {
    edge_url: edgeUrl,
    functions_url: functionsUrl,
    database_url: db.url,
    dashboard_url: dashboard.url,
    // supabase-js: createClient(rest_url, anon key) reads the views and tables at {rest_url}/rest/v1 under RLS
    rest_url: rest.url,
    sgtm_standin_url: sgtm.url,
    // alert email: the local SMTP listener and what it received (the demo owner's address is a target)
    smtp: { url: smtpUrl, messages_url: `${smtp.url}/__standin/messages` },
    provisioner_url: provisioner.url,
    dns_resolver: domainServices.resolver,
    // The local DNS server's records API (null when DNS_RESOLVER named another server).
    dns_records_url: domainServices.local ? `${domainServices.local.http}/records` : null,
    provisioner_token: secrets.provisioner_token,
    edge_admin_token: secrets.edge_admin_token,
    edge_auth_secret: secrets.edge_auth_secret,
    service_role_key: secrets.service_role_key,
    signing_key_path: paths.signingKey,
    demo: {
      client_id: DEMO_CLIENT_ID,
      owner_user_id: DEMO_OWNER_ID,
      owner_email: DEMO_OWNER_EMAIL,
      owner_jwt: await ownerJwt,
      containers: await demoContainers(sql),
      same_origin: sameOrigin,
    },
    processes: { start: process.pid, functions: functions.pid, wrangler: worker.pid, ...(siteProxyPid ? { site_proxy: siteProxyPid } : {}) },
    ports,
    logs: paths.logs,
    started_at: new Date().toISOString(),
  };
  await writeFile(paths.localJson, `${JSON.stringify(local, null, 2)}\n`, { mode: 0o600 });
  return { local, localJsonPath: paths.localJson };
}

/**
 * A child group started: its pid goes to <data dir>/pids.json at once (so a supervisor, e.g.
 * scripts/test-platform.mjs, can stop it even if this process is killed outright), and is
 * killed when this process exits without stop() (an uncaught error). stop() has normally
 * ended the group already (then ESRCH).
 */
function childStarted(paths, name, pid) {
  startedChildren[name] = pid;
  writeFileSync(paths.pids, JSON.stringify(startedChildren));
  process.on("exit", () => {
    try {
      process.kill(-pid, "SIGKILL");
    } catch {
      // ESRCH: already stopped.
    }
  });
}

const startedChildren = {};

async function choosePorts(mode) {
  const ports = {};
  for (const [name, port] of Object.entries(DEFAULT_PORTS)) {
    if (name === "database" && process.env.DATABASE_URL) continue;
    if (mode === "random") ports[name] = await freePort();
    else {
      await ensurePortFree(port, name);
      ports[name] = port;
    }
  }
  return ports;
}

/** Secrets of this data directory, made once (delete the file to rotate them); a missing one is added. */
async function loadOrCreateSecrets(path) {
  let stored = {};
  try {
    stored = JSON.parse(await readFile(path, "utf8"));
  } catch (error) {
    if (error.code !== "ENOENT") throw new Error(`${path}: ${error.message}`);
  }
  const secret = (prefix) => `${prefix}_${randomBytes(24).toString("base64url")}`;
  const secrets = {
    edge_admin_token: stored.edge_admin_token ?? secret("adm"),
    edge_auth_secret: stored.edge_auth_secret ?? secret("eas"),
    service_role_key: stored.service_role_key ?? secret("srk"),
    provisioner_token: stored.provisioner_token ?? secret("prv"),
  };
  if (Object.keys(secrets).some((name) => stored[name] === undefined)) {
    await mkdir(dirname(path), { recursive: true });
    await writeFile(path, JSON.stringify(secrets, null, 2), { mode: 0o600 });
  }
  return secrets;
}

/** Pushes every live container and checks the edge holds the database's version of each. */
async function firstSync(sql, admin, controlPlane) {
  const containers = await sql`
    select id, config_version from public.sgtm_containers where public.edge_config_live(status) order by created_at`;
  for (const { id, config_version } of containers) {
    const synced = await controlPlane.sync(id);
    if (synced.status !== 200) throw new Error(`sync of ${id} failed: ${synced.status} ${JSON.stringify(synced.body)}`);
    const held = await admin.get(id);
    if (held.status !== 200 || held.body.config_version !== config_version) {
      throw new Error(`edge does not hold ${id} v${config_version}: ${held.status} ${JSON.stringify(held.body)}`);
    }
  }
  return containers.length;
}
