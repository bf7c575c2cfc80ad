#!/usr/bin/env node
// `npm run edge -- <command>`: the operator CLI. Talks to the Worker's admin API and the
// control-plane functions, of the local platform (<data dir>/local.json, written by
// `npm start`) or of a deployed one (--edge-url / --functions-url, tokens from env).
// Exit codes: 0 done, 1 the API refused or could not be reached, 2 bad usage.
import { randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import { request as httpRequest } from "node:http";
import { request as httpsRequest } from "node:https";
import { resolve } from "node:path";
import postgres from "postgres";
import { controlPlane, edgeAdmin } from "./dev/platform/api.mjs";
import {
  CLI_USAGE,
  describeDetails,
  describePause,
  parseCliArgs,
  resolveTarget,
  table,
  UsageError,
  usageWindow,
} from "./dev/cli/parts.mjs";
import { describeDomain, domainsApi } from "./dev/cli/domains.mjs";
import { describePowerUps, parsePowerUpChanges, postPowerUps } from "./dev/cli/power-ups.mjs";
import { snippetsOf } from "./dev/cli/snippet.mjs";
import { CHECK_COOKIE, checkUrl, describeSiteCheck, diagnoseSiteCheck, siteCheckTarget } from "./dev/cli/site-check.mjs";
import { runDenoScript } from "./dev/platform/deno.mjs";

const DEFAULT_USAGE_DAYS = 7;
const SITE_CHECK_TIMEOUT_MS = 15_000;

class ApiError extends Error {}

function loadLocal(flags) {
  const path = resolve(flags["data-dir"] ?? process.env.QAXAL_DATA_DIR ?? ".data", "local.json");
  try {
    return { path, local: JSON.parse(readFileSync(path, "utf8")) };
  } catch (error) {
    if (error.code === "ENOENT") return { path, local: null };
    throw new UsageError(`${path}: ${error.message}`);
  }
}

function require(value, what, hint) {
  if (!value) throw new UsageError(`no ${what}: ${hint}`);
  return value;
}

/** The reply's body when its status is expected, else an ApiError with what the API said. */
function expect(reply, what, ok = [200]) {
  if (!ok.includes(reply.status)) {
    const error = reply.body?.error ?? "unexpected_status";
    throw new ApiError(`${what}: ${reply.status} ${error}${reply.body?.message ? ` (${reply.body.message})` : ""}\n${JSON.stringify(reply.body)}`);
  }
  return reply.body;
}

async function run(parsed) {
  const { command, id, flags } = parsed;
  const { path, local } = loadLocal(flags);
  const target = resolveTarget(flags, process.env, local);
  const noLocal = `start the platform (npm start) so ${path} exists, or pass`;
  const admin = () => edgeAdmin(
    require(target.edgeUrl, "edge URL", `${noLocal} --edge-url`),
    require(target.adminToken, "admin token", "set EDGE_ADMIN_TOKEN"),
  );
  const functions = () => controlPlane(
    require(target.functionsUrl, "functions URL", `${noLocal} --functions-url`),
    require(target.serviceRoleKey, "service role key", "set SUPABASE_SERVICE_ROLE_KEY"),
  );

  const domains = () => domainsApi(
    require(target.functionsUrl, "functions URL", `${noLocal} --functions-url`),
    require(target.accessToken, "access token", "pass --token JWT or set QAXAL_ACCESS_TOKEN (an owner's or admin's)"),
  );

  switch (command) {
    case "domains": {
      const body = expect(await domains().list(id), `domains of ${id}`);
      return [body, body.domains.length ? body.domains.map(describeDomain).join("\n") : `${id} has no domains`];
    }
    case "domain add": {
      const body = expect(await domains().add(id, parsed.host, flags.site), `add ${parsed.host}`, [201]);
      return [body, `${describeDomain(body.domain)}\ncreate both records, then: npm run edge -- domain verify ${body.domain.id}`];
    }
    case "domain verify": {
      const body = expect(await domains().verify(id), `verify ${id}`);
      return [body, describeDomain(body.domain), body.domain.state === "verified" ? 0 : 1];
    }
    case "domain rm": {
      expect(await domains().remove(id), `remove ${id}`);
      return [{ deleted: true, id }, `${id}: removed, no longer routed`];
    }
    case "power-ups": {
      const reply = await postPowerUps(
        require(target.functionsUrl, "functions URL", `${noLocal} --functions-url`),
        require(target.accessToken, "access token", "pass --token JWT or set QAXAL_ACCESS_TOKEN (an owner's or admin's)"),
        id,
        parsePowerUpChanges(parsed.words),
      );
      const body = expect(reply, `power-ups of ${id}`);
      return [body, describePowerUps(id, body)];
    }
    case "containers": {
      const api = admin();
      const ids = expect(await api.list(), "list containers").containers;
      const containers = await Promise.all(ids.map(async (cid) => expect(await api.get(cid), `GET ${cid}`, [200])));
      return [containers, table(containers, [
        ["container", (c) => c.container_id],
        ["version", (c) => c.config_version],
        ["state", (c) => (c.paused ? `paused (${c.paused.reason})` : "running")],
        ["today", (c) => c.usage.day_requests],
        ["month", (c) => c.usage.month_requests],
        ["hosts", (c) => c.config.sites.map((site) => site.primary_host).join(", ")],
      ])];
    }
    case "inspect": {
      const c = expect(await admin().get(id), `GET ${id}`);
      const sites = c.config.sites.map((site) =>
        `  ${site.primary_host}  (site ${site.site_id}, token ${site.container_token}, ${site.web_gtm_id})`);
      const modules = Object.entries(c.config.modules).filter(([, on]) => on).map(([name]) => name);
      return [c, [
        `container   ${c.container_id}`,
        `version     ${c.config_version}`,
        `state       ${describePause(c.paused)}`,
        `origin      ${c.config.origin}`,
        `edge host   ${c.config.edge_hostname}`,
        `loader      /l/${c.config.loader_token}.js`,
        `modules     ${modules.join(", ") || "none"}`,
        `plan limit  ${c.config.plan.monthly_request_limit ?? "unlimited"}${c.config.plan.auto_upgrade ? " (auto-upgrade)" : ""}`,
        `usage       ${c.usage.day}: ${c.usage.day_requests}, ${c.usage.month}: ${c.usage.month_requests}`,
        ...(c.logs ? [`logs        ${c.logs.buffered} buffered, ${c.logs.flushed} flushed to R2, ${c.logs.dropped} dropped, ${c.logs.failed_flushes} failed flushes`] : []),
        ...(c.detections ? [`detections  ${JSON.stringify(c.detections)}`] : []),
        "sites",
        ...sites,
      ].join("\n")];
    }
    case "usage": {
      const { from, to } = usageWindow(flags.days ?? DEFAULT_USAGE_DAYS);
      const body = expect(await admin().usage(id, from, to), `usage of ${id}`);
      const total = body.days.reduce((sum, day) => sum + day.requests, 0);
      return [{ container_id: id, from, to, total, days: body.days },
        `${table(body.days, [["day", (d) => d.day], ["requests", (d) => d.requests]])}\ntotal ${total} (${from} to ${to})`];
    }
    case "pause": {
      const body = expect(await admin().pause(id, flags.reason), `pause ${id}`);
      return [body, `${id}: ${describePause(body.paused)}`];
    }
    case "resume": {
      const body = expect(await admin().resume(id), `resume ${id}`);
      return [body, `${id}: running`];
    }
    case "push": {
      const body = expect(await functions().sync(id), `sync-edge-config ${id}`);
      return [body, `${id}: edge holds version ${body.config_version} (${body.applied ? "applied now" : "already there"})`];
    }
    case "drift": {
      const body = expect(await functions().driftCheck(), "nightly-drift-check");
      return [body, `checked ${body.checked}; repaired: ${body.repaired.join(", ") || "none"}; failed: ${body.failed.join(", ") || "none"}`];
    }
    case "alerts": {
      const body = expect(await functions().listAlerts(flags.all ? "all" : "open"), "alerts");
      if (body.alerts.length === 0) return [body, flags.all ? "no alerts" : "no open alerts"];
      return [body, table(body.alerts, [
        ["container", (a) => a.container_id],
        ["kind", (a) => a.kind],
        ["subject", (a) => a.subject || "–"],
        ["status", (a) => a.status],
        ["first seen", (a) => a.first_seen_at],
        ["last seen", (a) => (a.status === "open" ? a.last_seen_at : a.resolved_at)],
        ["details", (a) => describeDetails(a.details)],
      ])];
    }
    case "alerts-test": {
      const body = expect(await functions().testAlert(id), `alerts test ${id}`);
      const failed = body.retrying.length + body.failed.length;
      return [body, `${id}: test alert to ${body.targets} target(s): ${body.delivered.length} delivered` +
        (failed ? `, ${failed} not delivered (retried by the alerts job)` : ""), failed ? 1 : 0];
    }
    case "snippet": {
      const snippets = siteSnippets(expect(await admin().get(id), `GET ${id}`), flags.site);
      return [{ container_id: id, snippets }, snippets.map((s) => `${s.host}\n  ${s.tag}`).join("\n")];
    }
    case "rotate": {
      const inspection = expect(await admin().get(id), `GET ${id}`);
      const siteId = flags.site ? siteSnippets(inspection, flags.site)[0].site_id : undefined;
      const body = expect(
        await functions().rotateEndpoints(id, { ...(siteId ? { site_id: siteId } : {}), ...(flags.finish ? { finish: true } : {}) }),
        `rotate-endpoints of ${id}`,
      );
      const after = siteSnippets(expect(await admin().get(id), `GET ${id}`), flags.site);
      const what = flags.finish ? "the previous paths no longer serve" : "both sets of paths serve until rotate --finish";
      return [body, `${id}: ${what}; the new tags:\n${after.map((s) => `${s.host}\n  ${s.tag}`).join("\n")}`];
    }
    case "token":
      return token(flags.email, local, path);
    case "proxy-config":
      return proxyConfigOf(admin(), id, flags.site.toLowerCase(), flags.kind);
    case "check-site": {
      const site = siteCheckTarget(parsed.url);
      return checkSite(site, flags["edge-host"] ?? (await edgeHostnameOf(admin, site.siteHost)));
    }
  }
}

function siteSnippets(inspection, host) {
  try {
    return snippetsOf(inspection, host ? host.toLowerCase() : null);
  } catch (error) {
    throw new ApiError(error.message);
  }
}

async function proxyConfigOf(api, id, host, kind) {
  const c = expect(await api.get(id), `GET ${id}`);
  const site = c.config.sites.find((candidate) => candidate.primary_host === host || candidate.tracked_domains.includes(host));
  if (!site) {
    const hosts = c.config.sites.flatMap((candidate) => [candidate.primary_host, ...candidate.tracked_domains]);
    throw new ApiError(`no site of ${id} has the host ${host} (its hosts: ${hosts.join(", ")})`);
  }
  const text = expect(await api.proxyConfig(id, { site_id: site.site_id, kind, host }), `proxy-config of ${host}`);
  return [{ container_id: id, site_id: site.site_id, host, kind, config: text }, text.trimEnd()];
}

/** The edge hostname of the container the site's host routes to, when the admin API can be asked; else null. */
async function edgeHostnameOf(admin, siteHost) {
  let api;
  try {
    api = admin();
  } catch (error) {
    if (error instanceof UsageError) return null;
    throw error;
  }
  const route = await api.route(`host:${siteHost}`).catch(() => null);
  if (route?.status !== 200) return null;
  const held = await api.get(route.body.container_id).catch(() => null);
  return held?.status === 200 ? held.body.config.edge_hostname : null;
}

/** Asks the site's `{prefix}/.well-known/qaxal-check` twice (a cookie, a fresh nonce each) and says what is wrong. */
async function checkSite(target, edgeHostname) {
  const cookie = `${CHECK_COOKIE}=${randomBytes(8).toString("hex")}`;
  const nonces = [randomBytes(12).toString("hex"), randomBytes(12).toString("hex")];
  const first = await getOnce(checkUrl(target, nonces[0]), cookie);
  const second = await getOnce(checkUrl(target, nonces[1]), cookie);
  const result = diagnoseSiteCheck(target, first, second, nonces, edgeHostname);
  return [{ url: `${target.origin}${target.prefix}`, edge_hostname: edgeHostname, ...result }, describeSiteCheck(target, result), result.ok ? 0 : 1];
}

/** One GET, redirects not followed; names under .localhost go to loopback (RFC 6761), as browsers do. */
function getOnce(url, cookie) {
  const { protocol, hostname } = new URL(url);
  const send = protocol === "https:" ? httpsRequest : httpRequest;
  const lookup = hostname.endsWith(".localhost")
    ? (_host, options, callback) => (options.all ? callback(null, [{ address: "127.0.0.1", family: 4 }]) : callback(null, "127.0.0.1", 4))
    : undefined;
  return new Promise((resolvePromise, reject) => {
    const req = send(url, { headers: { cookie, accept: "application/json" }, lookup, timeout: SITE_CHECK_TIMEOUT_MS }, (res) => {
      const chunks = [];
      res.on("data", (chunk) => chunks.push(chunk));
      res.on("end", () => {
        const headers = new Headers();
        for (const [name, value] of Object.entries(res.headers)) {
          for (const one of [value].flat()) if (one !== undefined) headers.append(name, one);
        }
        resolvePromise({ status: res.statusCode, headers, text: Buffer.concat(chunks).toString("utf8") });
      });
      res.on("error", reject);
    });
    req.on("timeout", () => req.destroy(new Error(`no answer within ${SITE_CHECK_TIMEOUT_MS / 1000}s`)));
    req.on("error", (error) => reject(new ApiError(`GET ${url}: ${error.code ?? error.message}`)));
    req.end();
  });
}

async function token(email, local, path) {
  if (!local) throw new UsageError(`token works with the local platform only, and ${path} does not exist: run npm start`);
  const sql = postgres(local.database_url, { max: 1, prepare: false, onnotice: () => {}, connect_timeout: 5 });
  let user;
  try {
    [user] = await sql`select id, email from auth.users where lower(email) = lower(${email})`;
  } catch (error) {
    throw new ApiError(`database ${local.database_url}: ${error.message} (is npm start running?)`);
  } finally {
    await sql.end({ timeout: 1 });
  }
  if (!user) throw new ApiError(`no_such_user: no seeded user has the email ${email}`);
  const jwt = await runDenoScript("scripts/dev/platform/token.ts", [local.signing_key_path, user.id, user.email], {
    SUPABASE_URL: local.functions_url.replace(/\/functions\/v1\/?$/, ""),
  });
  return [{ user_id: user.id, email: user.email, access_token: jwt }, jwt];
}

let parsed;
try {
  parsed = parseCliArgs(process.argv.slice(2));
} catch (error) {
  console.error(process.argv.length > 2 ? `✗ ${error.message} (see npm run edge -- --help)` : `✗ ${error.message}\n\n${CLI_USAGE}`);
  process.exit(2);
}
if (parsed.command === "help") {
  console.log(CLI_USAGE);
  process.exit(0);
}
try {
  const [json, text, exitCode = 0] = await run(parsed);
  console.log(parsed.flags.json ? JSON.stringify(json, null, 2) : text);
  process.exitCode = exitCode;
} catch (error) {
  console.error(`✗ ${error.message}`);
  process.exit(error instanceof UsageError ? 2 : 1);
}
