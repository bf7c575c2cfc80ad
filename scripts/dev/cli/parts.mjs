// Pure parts of the admin CLI (scripts/edgectl.mjs): arguments, where to talk to, tables.

export const CLI_USAGE = `usage: npm run edge -- <command> [options]

commands:
  containers                     every container at the edge: version, pause, requests, hosts
  inspect <id>                   one container as the edge holds it (config, pause, usage, logs)
  usage <id> [--days N]          requests per day, the last N days (default 7, UTC)
  pause <id> --reason R          pause a container (its hosts answer 402)
  resume <id>                    lift any pause
  push <id>                      build and push the container's config (sync-edge-config)
  drift                          compare every container with the edge and repair (nightly-drift-check)
  alerts [--all]                 open alerts of every container (--all: resolved ones too)
  alerts test <id>               send a test alert to every target of the container's client
  token --email E                a fresh access token of a seeded user (local platform only)
  proxy-config <id> --site HOST --kind KIND
                                 same-origin mode: the config for the site's own reverse proxy
                                 (KIND: nginx, caddy, cloudflare-worker, vercel, netlify)
  check-site <url>               same-origin mode: is https://host/prefix forwarded to the edge as it
                                 must be? (prefix, Host, secret, visitor address, cookies, caching)
  snippet <id> [--site HOST]     the exact <script> tag of each site (its own loader path, section 9)
  rotate <id> [--site HOST] [--finish]
                                 new endpoint paths for the site(s); the old ones keep working until
                                 --finish (or 7 days, nightly-drift-check)
  domains <id>                   the container's hostnames: state, DNS records to create, problems
  domain add <id> <host> [--site SITE_ID]
                                 claim a hostname (pending until verified); prints its TXT and CNAME
  domain verify <domain-id>      check its DNS now: verified -> routed, else what is missing
  domain rm <domain-id>          stop routing it and forget it
  power-ups <id> [FIELD=VALUE …] show or switch the container's power-ups (docs/power-ups.md), e.g.
                                 bot_filter=block blocked_ips=10.0.0.0/8,192.0.2.7 anonymizer=consent;
                                 FIELD=null switches one off

options:
  --json                         print the API's JSON instead of a table
  --token JWT                    domains, power-ups: an owner's or admin's access token (env QAXAL_ACCESS_TOKEN;
                                 locally the demo owner's from local.json)
  --edge-host HOST               check-site: the container's edge hostname, when the admin API
                                 cannot be asked (else looked up from the site's host)
  --data-dir DIR                 local platform to use (default .data; env QAXAL_DATA_DIR)
  --edge-url URL                 a deployed Worker (env EDGE_URL); token from env EDGE_ADMIN_TOKEN
  --functions-url URL            deployed functions, …/functions/v1 (env FUNCTIONS_URL, or SUPABASE_URL);
                                 key from env SUPABASE_SERVICE_ROLE_KEY`;

const VALUE_FLAGS = new Set(["--days", "--reason", "--email", "--data-dir", "--edge-url", "--functions-url", "--site", "--kind", "--edge-host", "--token"]);
const BOOLEAN_FLAGS = new Set(["--json", "--help", "--all", "--finish"]);
const ARITY = { containers: 0, inspect: 1, usage: 1, pause: 1, resume: 1, push: 1, drift: 0, alerts: 0, token: 0, "proxy-config": 1, "check-site": 1, snippet: 1, rotate: 1, domains: 1, domain: -1, "power-ups": -1 };
/** `domain <action> …`: the arguments after the action. */
const DOMAIN_ACTIONS = { add: ["container id", "hostname"], verify: ["domain id"], rm: ["domain id"] };
const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
export const MAX_USAGE_DAYS = 400;

export class UsageError extends Error {}

/** argv -> { command, id, flags }; throws UsageError naming what is wrong. */
export function parseCliArgs(argv) {
  const flags = {};
  const positional = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (BOOLEAN_FLAGS.has(arg)) flags[arg.slice(2)] = true;
    else if (VALUE_FLAGS.has(arg)) {
      const value = argv[++i];
      if (value === undefined || value.startsWith("--")) throw new UsageError(`${arg} needs a value`);
      flags[arg.slice(2)] = value;
    } else if (arg.startsWith("--")) throw new UsageError(`unknown option ${arg}`);
    else positional.push(arg);
  }
  if (flags.help) return { command: "help", flags };
  const [command, ...rest] = positional;
  if (!command) throw new UsageError("no command given");
  if (!(command in ARITY)) throw new UsageError(`unknown command ${command}`);
  if (command === "alerts" && rest[0] === "test") {
    if (rest.length !== 2 || !UUID_RE.test(rest[1])) throw new UsageError("alerts test needs a container id (a uuid)");
    return { command: "alerts-test", id: rest[1], flags };
  }
  if (command === "domain") return parseDomainCommand(rest, flags);
  if (command === "power-ups") {
    if (!UUID_RE.test(rest[0] ?? "")) throw new UsageError("power-ups needs a container id (a uuid)");
    // FIELD=VALUE words: read by power-ups.mjs (parsePowerUpChanges).
    return { command, id: rest[0].toLowerCase(), words: rest.slice(1), flags };
  }
  if (rest.length !== ARITY[command]) {
    if (command === "check-site") throw new UsageError("check-site needs the site's URL with its path prefix, e.g. https://example.com/metrics");
    throw new UsageError(ARITY[command] ? `${command} needs a container id` : `${command} takes no argument`);
  }
  if (command === "check-site") return { command, url: rest[0], flags };
  const id = rest[0];
  if (id !== undefined && !UUID_RE.test(id)) throw new UsageError(`${id} is not a container id (a uuid)`);
  if (command === "pause" && !flags.reason) throw new UsageError("pause needs --reason");
  if (command === "token" && !flags.email) throw new UsageError("token needs --email");
  if (command === "proxy-config" && (!flags.site || !flags.kind)) throw new UsageError("proxy-config needs --site HOST and --kind KIND");
  if (flags.days !== undefined) {
    const days = Number(flags.days);
    if (!Number.isInteger(days) || days < 1 || days > MAX_USAGE_DAYS) {
      throw new UsageError(`--days must be a whole number from 1 to ${MAX_USAGE_DAYS}`);
    }
    flags.days = days;
  }
  return { command, id, flags };
}

function parseDomainCommand([action, ...args], flags) {
  const wanted = DOMAIN_ACTIONS[action];
  if (!wanted) throw new UsageError(`domain needs an action: ${Object.keys(DOMAIN_ACTIONS).join(", ")}`);
  if (args.length !== wanted.length) throw new UsageError(`domain ${action} needs ${wanted.map((w) => `the ${w}`).join(" and ")}`);
  if (!UUID_RE.test(args[0])) throw new UsageError(`${args[0]} is not a ${wanted[0]} (a uuid)`);
  if (flags.site !== undefined && (action !== "add" || !UUID_RE.test(flags.site))) {
    throw new UsageError("--site goes with domain add and is a site id (a uuid)");
  }
  return { command: `domain ${action}`, id: args[0].toLowerCase(), host: args[1], flags };
}

/**
 * Where to talk to. An explicit URL (flag or env) means a deployed platform: its tokens must
 * come from env, never from the local platform's file.
 * @param {Record<string, unknown>} flags
 * @param {Record<string, string|undefined>} env
 * @param {object|null} local parsed local.json, or null when there is none
 */
export function resolveTarget(flags, env, local) {
  const explicitEdge = flags["edge-url"] ?? env.EDGE_URL;
  const explicitFunctions = flags["functions-url"] ?? env.FUNCTIONS_URL ??
    (env.SUPABASE_URL ? `${env.SUPABASE_URL.replace(/\/$/, "")}/functions/v1` : undefined);
  return {
    edgeUrl: explicitEdge ?? local?.edge_url,
    adminToken: explicitEdge ? env.EDGE_ADMIN_TOKEN : (env.EDGE_ADMIN_TOKEN ?? local?.edge_admin_token),
    functionsUrl: explicitFunctions ?? local?.functions_url,
    serviceRoleKey: explicitFunctions
      ? env.SUPABASE_SERVICE_ROLE_KEY
      : (env.SUPABASE_SERVICE_ROLE_KEY ?? local?.service_role_key),
    accessToken: flags.token ?? env.QAXAL_ACCESS_TOKEN ?? (explicitFunctions ? undefined : local?.demo?.owner_jwt),
  };
}

/** The `days` UTC days ending today, as the usage endpoint's from/to. */
export function usageWindow(days, now = new Date()) {
  const to = now.toISOString().slice(0, 10);
  const from = new Date(Date.parse(`${to}T00:00:00Z`) - (days - 1) * 86_400_000).toISOString().slice(0, 10);
  return { from, to };
}

/** Plain text table; `columns` is [[header, row => value], …]. */
export function table(rows, columns) {
  const cells = rows.map((row) => columns.map(([, get]) => String(get(row) ?? "–")));
  const headers = columns.map(([header]) => header);
  const widths = headers.map((header, i) => Math.max(header.length, ...cells.map((line) => line[i].length)));
  const format = (line) => line.map((cell, i) => cell.padEnd(widths[i])).join("  ").trimEnd();
  return [format(headers), format(widths.map((w) => "-".repeat(w))), ...cells.map(format)].join("\n");
}

/** An alert's numbers on one line: "month_requests 850, monthly_limit 1000". */
export function describeDetails(details) {
  return Object.entries(details ?? {})
    .filter(([, value]) => value !== null && typeof value !== "object")
    .map(([name, value]) => `${name} ${value}`)
    .join(", ");
}

export function describePause(paused) {
  return paused ? `paused: ${paused.reason} since ${paused.since}` : "running";
}
