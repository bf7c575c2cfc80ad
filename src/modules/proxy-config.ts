/**
 * Same-origin mode (edge contract section 10): the configuration a customer pastes into the
 * reverse proxy of their own site, so `https://{site host}{prefix}/...` reaches
 * `https://{edge hostname}{prefix}/...` with path and query unchanged, Host (and TLS SNI) the
 * edge hostname, `X-Public-Host`, `X-Forward-Secret` and the visitor's address in
 * `X-Forwarded-For`, cookies both ways, the site's `Authorization` never forwarded and no
 * caching of tracking responses by the customer's proxy.
 *
 * Every value is checked against its EdgeConfig schema first: none can contain a quote,
 * space, `;`, `{`, `$`, `\` or a line break, so none can end a string or a directive of any
 * of the formats below. The templates themselves are constant text.
 */
import { hostnameSchema, siteSchema, type ConfigIssue } from "../shared/edge-config";

export const PROXY_KINDS = ["nginx", "caddy", "cloudflare-worker", "vercel", "netlify"] as const;
export type ProxyKind = (typeof PROXY_KINDS)[number];

export interface ProxyTarget {
  siteHost: string;
  pathPrefix: string;
  edgeHostname: string;
  forwardSecret: string;
}

export class ProxyConfigError extends Error {
  constructor(readonly issues: ConfigIssue[]) {
    super(issues.map((issue) => `${issue.path}: ${issue.message}`).join("; "));
  }
}

const pathPrefixSchema = siteSchema.shape.path_prefix.unwrap();
const forwardSecretSchema = siteSchema.shape.forward_secret.unwrap();

export function isProxyKind(value: unknown): value is ProxyKind {
  return (PROXY_KINDS as readonly unknown[]).includes(value);
}

/** The ready-to-use text for `kind`; throws ProxyConfigError naming every value outside its schema. */
export function proxyConfig(kind: string, target: ProxyTarget): string {
  const issues: ConfigIssue[] = [];
  if (!isProxyKind(kind)) issues.push({ path: "kind", message: `must be one of ${PROXY_KINDS.join(", ")}` });
  const check = (path: keyof ProxyTarget, schema: typeof hostnameSchema) => {
    const result = schema.safeParse(target[path]);
    if (!result.success) issues.push({ path, message: result.error.issues[0]?.message ?? "is invalid" });
  };
  check("siteHost", hostnameSchema);
  check("edgeHostname", hostnameSchema);
  check("pathPrefix", pathPrefixSchema);
  check("forwardSecret", forwardSecretSchema);
  if (target.siteHost === target.edgeHostname) {
    issues.push({ path: "edgeHostname", message: "must not be the site host (the proxy would forward to itself)" });
  }
  if (issues.length > 0 || !isProxyKind(kind)) throw new ProxyConfigError(issues);
  return RENDERERS[kind](target);
}

const RENDERERS: Record<ProxyKind, (target: ProxyTarget) => string> = {
  nginx: nginxConfig,
  caddy: caddyConfig,
  "cloudflare-worker": cloudflareWorker,
  vercel: vercelMiddleware,
  netlify: netlifyConfig,
};

/** Title, where the text goes (`lines`) and how to check it, as comments. */
function preamble(t: ProxyTarget, comment: string, lines: string[]): string {
  return [
    `Qaxal same-origin mode for https://${t.siteHost}${t.pathPrefix}/ (generated; keep X-Forward-Secret private).`,
    ...lines,
    `Check it afterwards: npm run edge -- check-site https://${t.siteHost}${t.pathPrefix}`,
  ].map((line) => `${comment} ${line}`).join("\n");
}

function nginxConfig(t: ProxyTarget): string {
  return `${preamble(t, "#", [`Paste inside the server { } block that serves ${t.siteHost}, then: nginx -t && nginx -s reload`])}
# ^~ wins over regex locations (e.g. a "location ~ \\.js$" cache rule), so nothing else handles these paths.
location ^~ ${t.pathPrefix}/ {
    # No URI after the host: the path (prefix included) and query go to the edge as they came.
    # nginx resolves the edge hostname when it loads this file.
    proxy_pass https://${t.edgeHostname};
    proxy_http_version 1.1;
    proxy_set_header Connection "";
    # The edge routes on its own hostname: Host, TLS SNI and the certificate check all use it.
    proxy_set_header Host ${t.edgeHostname};
    proxy_ssl_server_name on;
    proxy_ssl_name ${t.edgeHostname};
    proxy_ssl_verify on;
    proxy_ssl_trusted_certificate /etc/ssl/certs/ca-certificates.crt; # Debian/Ubuntu; RHEL: /etc/pki/tls/certs/ca-bundle.crt
    proxy_set_header X-Public-Host ${t.siteHost};
    proxy_set_header X-Forward-Secret ${t.forwardSecret};
    # The visitor's address, replacing any X-Forwarded-For the browser sent. Behind a load balancer,
    # set set_real_ip_from / real_ip_header first so that $remote_addr is the visitor.
    proxy_set_header X-Forwarded-For $remote_addr;
    # The site's own credentials never leave it.
    proxy_set_header Authorization "";
    # Cookie and Set-Cookie pass both ways (nginx forwards them unless told otherwise).
    # Tracking responses are per visitor: never cached here, whatever the server block says.
    proxy_cache off;
    proxy_redirect off;
}
`;
}

function caddyConfig(t: ProxyTarget): string {
  return `${preamble(t, "#", [`Paste inside the ${t.siteHost} { } site block of your Caddyfile, then: caddy reload`])}
# handle (not handle_path) keeps the prefix: the edge expects ${t.pathPrefix}/... as the browser asked it.
handle ${t.pathPrefix}/* {
	reverse_proxy https://${t.edgeHostname} {
		# The edge routes on its own hostname (TLS SNI is the upstream's host by default).
		header_up Host ${t.edgeHostname}
		header_up X-Public-Host ${t.siteHost}
		header_up X-Forward-Secret ${t.forwardSecret}
		# The address that connected to Caddy, replacing any X-Forwarded-For the browser sent (Caddy's
		# default is alike; this line keeps it one address). Behind a load balancer, Caddy >= 2.7:
		# {client_ip} with trusted_proxies instead.
		header_up X-Forwarded-For {remote_host}
		# The site's own credentials never leave it.
		header_up -Authorization
	}
}
# Cookies pass both ways, and Caddy caches nothing here unless a cache plugin covers ${t.pathPrefix}/*: keep it off there.
`;
}

/** The forwarding function both JavaScript platforms run; `clientIp` and `geo` are platform expressions. */
function forwardingBody(t: ProxyTarget, clientIp: string, geo: Record<string, string>, fetchOptions: string): string {
  const geoLines = Object.entries(geo).map(([name, value]) => `  setIfPresent(headers, ${JSON.stringify(name)}, ${value});`);
  return `const EDGE_HOSTNAME = ${JSON.stringify(t.edgeHostname)};
const PUBLIC_HOST = ${JSON.stringify(t.siteHost)};
const FORWARD_SECRET = ${JSON.stringify(t.forwardSecret)};

function setIfPresent(headers, name, value) {
  if (value) headers.set(name, String(value));
  else headers.delete(name);
}

async function forward(request) {
  const url = new URL(request.url);
  const headers = new Headers(request.headers);
  headers.delete("host"); // follows the URL below: the edge hostname
  headers.delete("authorization"); // the site's own credentials never leave it
  headers.set("X-Public-Host", PUBLIC_HOST);
  headers.set("X-Forward-Secret", FORWARD_SECRET);
  setIfPresent(headers, "X-Forwarded-For", ${clientIp});
${geoLines.join("\n")}
  const hasBody = request.method !== "GET" && request.method !== "HEAD";
  // Same path (prefix included) and query on the edge; cookies go along, Set-Cookie comes back.
  return fetch(new URL(url.pathname + url.search, "https://" + EDGE_HOSTNAME), {
    method: request.method,
    headers,
    body: hasBody ? await request.arrayBuffer() : null,
    redirect: "manual", // a redirect goes back to the browser as the edge sent it
${fetchOptions}  });
}`;
}

function cloudflareWorker(t: ProxyTarget): string {
  const routeAt = `${t.siteHost}${t.pathPrefix}/*`;
  return `${preamble(t, "//", [
    "A Worker on the Cloudflare zone of the site. Save as worker.js with this wrangler.toml next to it:",
    `  name = "qaxal-same-origin"`,
    `  main = "worker.js"`,
    `  compatibility_date = "2024-11-11"   # or later: fetch's cache: "no-store" needs it`,
    `  routes = [{ pattern = "${routeAt}", zone_name = "<your zone, e.g. ${t.siteHost}>" }]`,
    `then: npx wrangler deploy. Only ${routeAt} runs this Worker; the rest of the site is untouched.`,
  ])}
${forwardingBody(
  t,
  `request.headers.get("CF-Connecting-IP")`,
  { "X-Geo-Country": "request.cf?.country", "X-Geo-Region": "request.cf?.region", "X-Geo-City": "request.cf?.city" },
  `    cache: "no-store", // never from or into Cloudflare's cache: tracking responses are per visitor\n`,
)}

export default { fetch: forward };
`;
}

function vercelMiddleware(t: ProxyTarget): string {
  return `${preamble(t, "//", ["Vercel Routing Middleware: save as middleware.js at the project root (next to package.json), then deploy."])}
// Why not a rewrite in vercel.json: Vercel rewrites can proxy ${t.pathPrefix}/* to the edge but cannot set
// request headers, so X-Public-Host and X-Forward-Secret would be missing and the edge would take
// Vercel's address for the visitor's. Next.js 16 names this file proxy.js (Node.js runtime): same code.
// Middleware runs before Vercel's CDN cache and answers these paths itself, so nothing here is cached by Vercel.
export const config = { matcher: ${JSON.stringify(`${t.pathPrefix}/:path*`)} };

function decoded(value) {
  try {
    return value && decodeURIComponent(value);
  } catch {
    return null;
  }
}

${forwardingBody(
  t,
  `request.headers.get("x-real-ip")`,
  {
    "X-Geo-Country": `request.headers.get("x-vercel-ip-country")`,
    "X-Geo-Region": `request.headers.get("x-vercel-ip-country-region")`,
    "X-Geo-City": `decoded(request.headers.get("x-vercel-ip-city"))`,
  },
  "",
)}

export default forward;
`;
}

function netlifyConfig(t: ProxyTarget): string {
  return `${preamble(t, "#", ["Add to netlify.toml at the site's root, above any catch-all rule such as /*, then deploy."])}
# What a Netlify rewrite can do: proxy with path and query, add fixed request headers, pass cookies
# both ways. What it cannot do:
#   - set X-Forwarded-For: Netlify's proxy sends its own (the visitor's address is in it and in
#     X-Nf-Client-Connection-Ip); check-site shows whether the edge sees the visitor's address;
#   - drop Authorization: a site behind Netlify basic auth would forward the visitor's credentials;
#   - override caching: Netlify follows the Cache-Control the edge sends.
# Where any of these matters, a Netlify Edge Function on ${t.pathPrefix}/* can do all three (the
# cloudflare-worker kind's code, with context.ip as the client address).
[[redirects]]
  from = "${t.pathPrefix}/*"
  to = "https://${t.edgeHostname}${t.pathPrefix}/:splat"
  status = 200
  force = true
  [redirects.headers]
    X-Public-Host = "${t.siteHost}"
    X-Forward-Secret = "${t.forwardSecret}"
`;
}
