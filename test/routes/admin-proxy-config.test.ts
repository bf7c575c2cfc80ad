import { describe, expect, it } from "vitest";
import { proxyConfig } from "../../src/modules/proxy-config";
import { makeConfig, uuid } from "../support/config";
import { admin, edgeFetch, pushConfig } from "../support/edge";

const SECRET = "fs_proxy_config_0123456789abcdefghij";

/** A container whose first site is in same-origin mode under /metrics, and a second site that is not. */
async function pushSameOriginContainer(name: string) {
  const config = makeConfig(name);
  const site = { ...config.sites[0]!, path_prefix: "/metrics", forward_secret: SECRET };
  const plain = {
    ...config.sites[0]!,
    site_id: uuid(),
    primary_host: `www.${name}-plain.test`,
    tracked_domains: [],
    cookie_domain: `${name}-plain.test`,
    container_token: `ct_${name}_plain_0123456789`,
  };
  const pushed = { ...config, sites: [site, plain] };
  expect((await pushConfig(pushed)).status).toBe(200);
  return { config: pushed, site, plain };
}

function proxyConfigOf(containerId: string, query: string) {
  return admin(`containers/${containerId}/proxy-config?${query}`);
}

describe("GET /_edge/admin/containers/{id}/proxy-config", () => {
  it.each(["nginx", "caddy", "cloudflare-worker", "vercel", "netlify"])("200 text/plain for %s, the module's text for the site", async (kind) => {
    const { config, site } = await pushSameOriginContainer(`pc-${kind}`);
    const response = await proxyConfigOf(config.container_id, `site_id=${site.site_id}&kind=${kind}`);
    expect(response.status).toBe(200);
    expect(response.headers.get("Content-Type")).toBe("text/plain; charset=utf-8");
    expect(response.headers.get("Cache-Control")).toBe("no-store");
    expect(await response.text()).toBe(
      proxyConfig(kind, { siteHost: site.primary_host, pathPrefix: "/metrics", edgeHostname: config.edge_hostname, forwardSecret: SECRET }),
    );
  });

  it("uses a tracked domain of the site when host names one", async () => {
    const { config, site } = await pushSameOriginContainer("pc-host");
    const response = await proxyConfigOf(config.container_id, `site_id=${site.site_id}&kind=nginx&host=${site.tracked_domains![0]}`);
    expect(response.status).toBe(200);
    const text = await response.text();
    expect(text).toContain(`proxy_set_header X-Public-Host ${site.tracked_domains![0]};`);
    expect(text).not.toContain(site.primary_host);
  });

  it("404 for an unknown container or an unknown site", async () => {
    const { config } = await pushSameOriginContainer("pc-404");
    const noContainer = await proxyConfigOf(uuid(), `site_id=${uuid()}&kind=nginx`);
    expect(noContainer.status).toBe(404);
    expect(await noContainer.json()).toEqual({ error: "not_found", message: "no such container" });
    const missingSite = uuid();
    const noSite = await proxyConfigOf(config.container_id, `site_id=${missingSite}&kind=nginx`);
    expect(noSite.status).toBe(404);
    expect(await noSite.json()).toEqual({ error: "not_found", message: `no site ${missingSite} in this container` });
  });

  it.each([
    ["an unknown kind", (id: string) => `site_id=${id}&kind=apache`, [{ path: "kind", message: "must be one of nginx, caddy, cloudflare-worker, vercel, netlify" }]],
    ["no kind", (id: string) => `site_id=${id}`, [{ path: "kind", message: "must be one of nginx, caddy, cloudflare-worker, vercel, netlify" }]],
    ["a kind given twice", (id: string) => `site_id=${id}&kind=nginx&kind=caddy`, [{ path: "kind", message: "must be one of nginx, caddy, cloudflare-worker, vercel, netlify" }]],
    ["no site_id", () => "kind=nginx", [{ path: "site_id", message: "must be a site uuid" }]],
    ["a site_id that is no uuid", () => "site_id=www.example.com&kind=nginx", [{ path: "site_id", message: "must be a site uuid" }]],
    ["a host that is not the site's", (id: string) => `site_id=${id}&kind=caddy&host=evil.test`, [{ path: "host", message: "must be the primary host or a tracked domain of the site" }]],
  ])("400 invalid_query for %s", async (_name, query, issues) => {
    const { config, site } = await pushSameOriginContainer(`pc-bad-${Math.random().toString(36).slice(2, 8)}`);
    const response = await proxyConfigOf(config.container_id, query(site.site_id));
    expect(response.status).toBe(400);
    expect(await response.json()).toEqual({ error: "invalid_query", issues });
  });

  it("400 for a site without path_prefix (same-origin mode off)", async () => {
    const { config, plain } = await pushSameOriginContainer("pc-plain");
    const response = await proxyConfigOf(config.container_id, `site_id=${plain.site_id}&kind=nginx`);
    expect(response.status).toBe(400);
    expect(await response.json()).toEqual({
      error: "invalid_query",
      issues: [{ path: "site_id", message: "this site has no path_prefix: same-origin mode is off for it" }],
    });
  });

  it("needs the admin token, and answers GET only", async () => {
    const { config, site } = await pushSameOriginContainer("pc-auth");
    const path = `https://admin.edge.test/_edge/admin/containers/${config.container_id}/proxy-config?site_id=${site.site_id}&kind=nginx`;
    const anonymous = await edgeFetch(path);
    expect(anonymous.status).toBe(401);
    expect(await anonymous.text()).not.toContain(SECRET);
    const post = await admin(`containers/${config.container_id}/proxy-config?site_id=${site.site_id}&kind=nginx`, { method: "POST" });
    expect(post.status).toBe(405);
    expect(await post.json()).toEqual({ error: "method_not_allowed", allowed: ["GET"] });
  });
});
