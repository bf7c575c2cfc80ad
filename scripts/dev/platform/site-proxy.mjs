// A site in same-origin mode (contract section 10) behind a real reverse proxy on loopback:
// nginx or Caddy (Debian packages) serves the site's own pages from a directory and forwards
// {prefix}/... to the local Worker with the configuration the edge generates
// (GET /_edge/admin/containers/{id}/proxy-config). Loopback has no TLS, so the one change made
// here is the upstream: the edge's https URL becomes the local Worker's http URL (and the
// TLS-only nginx lines go); Host, headers, caching and cookies are the generated config's.
// Used by `npm start` and test/e2e/same-origin.e2e.mjs.
import { existsSync } from "node:fs";
import { mkdir, writeFile } from "node:fs/promises";
import { request } from "node:http";
import { join } from "node:path";
import { spawnService, waitUntilReady } from "./processes.mjs";

export const PROXY_BINARIES = { nginx: "/usr/sbin/nginx", caddy: "/usr/bin/caddy" };
export const INSTALL_COMMAND = "sudo apt-get install -y nginx caddy";
const START_TIMEOUT_MS = 15_000;

/** The binary of `kind` when installed, else null. */
export function installedProxy(kind) {
  const path = PROXY_BINARIES[kind];
  return path && existsSync(path) ? path : null;
}

/** The generated config with its https upstream pointed at the local Worker (`edgeUrl`, http://127.0.0.1:port). */
export function toLoopback(kind, config, edgeHostname, edgeUrl) {
  const replaceOnce = (text, from, to) => {
    const parts = text.split(from);
    if (parts.length !== 2) throw new Error(`${kind} config: expected "${from}" once, found it ${parts.length - 1} times`);
    return parts.join(to);
  };
  if (kind === "nginx") {
    const upstream = replaceOnce(config, `proxy_pass https://${edgeHostname};`, `proxy_pass ${edgeUrl};`);
    return upstream.split("\n").filter((line) => !/^\s*proxy_ssl_/.test(line)).join("\n");
  }
  if (kind === "caddy") return replaceOnce(config, `reverse_proxy https://${edgeHostname} {`, `reverse_proxy ${edgeUrl} {`);
  throw new Error(`no local ${kind}: only nginx and caddy run here`);
}

/**
 * A whole nginx.conf around the generated location: every path it writes is under `dir`.
 * `httpDirectives`: more http-level lines (a test's cache zone, say). `user`: whom the workers
 * run as when nginx starts as root (else nobody, who may not enter the data directory).
 */
export function nginxMainConfig({ dir, port, siteHost, siteRoot, location, httpDirectives = "", user = null }) {
  return `${user ? `user ${user};\n` : ""}worker_processes 1;
error_log ${dir}/error.log warn;
events { worker_connections 256; }
http {
    access_log ${dir}/access.log;
    client_body_temp_path ${dir}/client_body;
    proxy_temp_path ${dir}/proxy;
    fastcgi_temp_path ${dir}/fastcgi;
    uwsgi_temp_path ${dir}/uwsgi;
    scgi_temp_path ${dir}/scgi;
    types { text/html html; application/javascript js; }
    default_type application/octet-stream;
    ${httpDirectives}
    server {
        listen 127.0.0.1:${port};
        server_name ${siteHost};
        root ${siteRoot};
        index index.html;
${location.split("\n").map((line) => (line ? `        ${line}` : line)).join("\n")}
    }
}
`;
}

/** A Caddyfile around the generated handle block: no admin endpoint, no certificates. */
export function caddyfile({ port, siteHost, siteRoot, handle }) {
  return `{
	admin off
	auto_https off
}

http://${siteHost}:${port} {
	bind 127.0.0.1
	root * ${siteRoot}
${handle.split("\n").map((line) => (line ? `\t${line}` : line)).join("\n")}
	file_server
}
`;
}

/**
 * Starts nginx or Caddy for `siteHost` on 127.0.0.1:`port`, its files in `dir` (which it may
 * fill), the site's pages from `siteRoot`. Resolves once the site's home page answers 200.
 * `httpDirectives` (nginx only): see nginxMainConfig.
 * @returns {Promise<{ url: string, pid: number, output(): string, stop(): Promise<void> }>}
 */
export async function startSiteProxy({ kind, config, siteHost, edgeHostname, edgeUrl, siteRoot, port, dir, onSpawn, httpDirectives }) {
  const binary = installedProxy(kind);
  if (!binary) throw new Error(`${kind} is not installed (${PROXY_BINARIES[kind]}). Install it with: ${INSTALL_COMMAND}`);
  await mkdir(dir, { recursive: true });
  const local = toLoopback(kind, config, edgeHostname, edgeUrl);
  let service;
  if (kind === "nginx") {
    const confPath = join(dir, "nginx.conf");
    await writeFile(confPath, nginxMainConfig({
      dir, port, siteHost, siteRoot, location: local, httpDirectives, user: process.getuid?.() === 0 ? "root" : null,
    }));
    service = spawnService("nginx", binary, ["-p", dir, "-c", confPath, "-g", `daemon off; pid ${dir}/nginx.pid;`], {});
  } else {
    const confPath = join(dir, "Caddyfile");
    await writeFile(confPath, caddyfile({ port, siteHost, siteRoot, handle: local }));
    service = spawnService("caddy", binary, ["run", "--config", confPath, "--adapter", "caddyfile"], {
      env: { ...process.env, XDG_DATA_HOME: join(dir, "data"), XDG_CONFIG_HOME: join(dir, "config") },
    });
  }
  onSpawn?.(service.pid);
  const url = `http://${siteHost}:${port}`;
  try {
    await waitUntilReady(service, `${url}/ answering 200`, () => homePageAnswers(port, siteHost), START_TIMEOUT_MS);
  } catch (error) {
    await service.stop();
    throw error;
  }
  return { url, pid: service.pid, output: service.output, stop: service.stop };
}

/** GET / on 127.0.0.1:port with the site's Host (node's fetch cannot set Host). */
function homePageAnswers(port, host) {
  return new Promise((resolve) => {
    const req = request({ host: "127.0.0.1", port, path: "/", headers: { host: `${host}:${port}` }, timeout: 2_000 }, (res) => {
      res.resume();
      resolve(res.statusCode === 200);
    });
    req.on("error", () => resolve(false));
    req.on("timeout", () => req.destroy());
    req.end();
  });
}
