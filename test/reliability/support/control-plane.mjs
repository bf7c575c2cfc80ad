// The control plane for the reliability tests: the functions server of `npm start`
// (scripts/dev/platform/functions.ts: every function plus the outbox timer) under Deno, in a
// process group of its own that a test kills for real, a container seeded the way
// test/support/control-plane-db.ts seeds one, and an HTTP hop between the functions and the
// edge's admin API that can hold a push: the moment between the database commit and the edge.
import { randomBytes } from "node:crypto";
import { createServer } from "node:http";
import { DENO_RUN, denoBinary, denoEnv, root } from "../../../scripts/dev/platform/deno.mjs";
import { spawnService, waitUntilReady } from "../../../scripts/dev/platform/processes.mjs";
import { ADMIN_TOKEN, EDGE_AUTH_SECRET } from "./edge.mjs";
import { announceGroup, forgetGroup } from "./processes.mjs";

export const SERVICE_ROLE_KEY = `reliability-service-role-${randomBytes(12).toString("hex")}`;
/** scripts/dev/platform/functions.ts drains the outbox this often. */
export const OUTBOX_INTERVAL_MS = 5_000;
const START_TIMEOUT_MS = 60_000;

/** Starts the functions on `port`; `{ url, pid, kill(), stop() }` once they listen. kill() is SIGKILL to the group. */
export async function startFunctions({ port, databaseUrl, edgeAdminUrl, keyPath }) {
  const base = `http://127.0.0.1:${port}`;
  const service = spawnService("functions (Deno)", denoBinary(), [...DENO_RUN, `${root}scripts/dev/platform/functions.ts`, String(port), keyPath], {
    cwd: root,
    env: denoEnv({
      SUPABASE_URL: base,
      SUPABASE_ANON_KEY: "local-anon-key",
      SUPABASE_DB_URL: databaseUrl,
      SUPABASE_SERVICE_ROLE_KEY: SERVICE_ROLE_KEY,
      EDGE_AUTH_SECRET,
      EDGE_ADMIN_URL: edgeAdminUrl,
      EDGE_ADMIN_TOKEN: ADMIN_TOKEN,
      EDGE_ADMIN_ATTEMPTS: "1",
    }),
  });
  announceGroup("functions", service.pid);
  try {
    await waitUntilReady(service, "ready line", async () => service.output().includes("ready http"), START_TIMEOUT_MS);
  } catch (error) {
    await service.stop();
    forgetGroup(service.pid);
    throw error;
  }
  const ended = async (stopping) => {
    await stopping;
    forgetGroup(service.pid);
  };
  return {
    url: `${base}/functions/v1`,
    pid: service.pid,
    output: service.output,
    kill: () => {
      process.kill(-service.pid, "SIGKILL");
      return ended(service.exited);
    },
    stop: () => ended(service.stop()),
  };
}

/** Calls a function as the service role (cron) or as the edge (X-Edge-Auth): `{ status, body }`. */
export async function callFunction(functionsUrl, name, { method = "POST", body, asEdge = false, query = "" } = {}) {
  const headers = asEdge ? { "x-edge-auth": EDGE_AUTH_SECRET } : { authorization: `Bearer ${SERVICE_ROLE_KEY}` };
  const response = await fetch(`${functionsUrl}/${name}${query}`, {
    method,
    headers: { ...headers, ...(body === undefined ? {} : { "content-type": "application/json" }) },
    body: body === undefined ? undefined : JSON.stringify(body),
    signal: AbortSignal.timeout(20_000),
  });
  const text = await response.text();
  let parsed = text;
  try {
    parsed = JSON.parse(text);
  } catch {
    // not JSON: the text itself
  }
  return { status: response.status, body: parsed };
}

/**
 * One active container of a new client on the business plan, its site's primary host
 * `www.cp<n>.rel.test` verified; its origin `origin`. The trigger queues its first push.
 */
export async function seedContainer(sql, n, origin) {
  const label = `cp${n}`;
  const [{ id: clientId }] = await sql`insert into public.clients (name) values (${`reliability ${label}`}) returning id`;
  await sql`insert into public.client_memberships (client_id, user_id, role) values (${clientId}, ${crypto.randomUUID()}, 'owner')`;
  const [{ id }] = await sql`
    insert into public.sgtm_containers (client_id, name, loader_token, edge_hostname, origin)
    values (${clientId}, ${`container ${label}`}, ${`lt_reliability_${label}_0123456789`}, ${`${label}.edge.rel.test`}, ${origin})
    returning id`;
  const host = `www.${label}.rel.test`;
  const [{ id: siteId }] = await sql`
    insert into public.sites (container_id, primary_host, cookie_domain, container_token, web_gtm_id)
    values (${id}, ${host}, ${`${label}.rel.test`}, ${`ct_reliability_${label}_0123456789`}, 'GTM-REL123') returning id`;
  await sql`insert into public.site_domains (site_id, hostname, is_primary, verification_state) values (${siteId}, ${host}, true, 'verified')`;
  await sql`insert into public.subscriptions (container_id, plan_id) values (${id}, 'business')`;
  await sql`update public.sgtm_containers set status = 'active' where id = ${id}`;
  return { id, siteId, host };
}

export async function dbVersion(sql, containerId) {
  const [row] = await sql`select config_version from public.sgtm_containers where id = ${containerId}`;
  return row.config_version;
}

/**
 * The hop from the functions to the edge's admin API. `hold("request")`: the next config PUT
 * is kept here, never forwarded (the push did not reach the edge); `hold("response")`: it is
 * forwarded and the edge's answer kept (the edge applied it, the caller never hears). Either
 * resolves `held` when it happens; a held exchange dies with its caller.
 */
export async function startAdminHop(edgeUrl) {
  let mode = null;
  let onHeld = null;
  const server = createServer(async (req, res) => {
    const chunks = [];
    for await (const chunk of req) chunks.push(chunk);
    const isPush = req.method === "PUT" && /\/config$/.test(req.url ?? "");
    const holding = isPush ? mode : null;
    if (holding === "request") {
      mode = null;
      onHeld?.({ url: req.url });
      return;
    }
    const answer = await fetch(`${edgeUrl}${req.url}`, {
      method: req.method,
      headers: { authorization: req.headers.authorization ?? "", "content-type": req.headers["content-type"] ?? "application/json" },
      body: chunks.length ? Buffer.concat(chunks) : undefined,
    });
    const body = await answer.text();
    if (holding === "response") {
      mode = null;
      onHeld?.({ url: req.url, status: answer.status, body });
      return;
    }
    res.writeHead(answer.status, { "content-type": answer.headers.get("content-type") ?? "application/json" });
    res.end(body);
  });
  await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    url: `http://127.0.0.1:${server.address().port}`,
    /** Holds the next push ("request" or "response"); resolves once it is held. */
    hold(next) {
      mode = next;
      return new Promise((resolve) => (onHeld = resolve));
    },
    close: () => new Promise((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };
}
