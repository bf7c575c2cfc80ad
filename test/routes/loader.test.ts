import { afterEach, describe, expect, it, vi } from "vitest";
import { gtmLoadPath } from "../../src/loader-template/render";
import { parseEdgeConfig } from "../../src/shared/edge-config";
import { makeConfig, makeTwoSiteConfig } from "../support/config";
import { admin, edgeFetch, pushConfig } from "../support/edge";

afterEach(() => vi.restoreAllMocks());

describe("GET /l/{loader_token}.js (row 2)", () => {
  it("serves JavaScript with the page's site injected, cached per config_version", async () => {
    const config = makeTwoSiteConfig("loader");
    await pushConfig(config);
    const url = `https://loader.edge.test/l/${config.loader_token}.js`;
    const response = await edgeFetch(url, { headers: { Referer: "https://www.loader-blog.test/post/1" } });
    expect(response.status).toBe(200);
    expect(response.headers.get("Content-Type")).toMatch(/^application\/javascript/);
    const body = await response.text();
    const blog = parseEdgeConfig(config);
    if (!blog.ok) throw new Error("fixture invalid");
    expect(body).toContain(JSON.stringify(gtmLoadPath(blog.config.sites[1]!)).slice(1, -1));
    expect(body).not.toContain("GTM-");
    const etag = response.headers.get("ETag")!;
    expect(etag).toContain("1-");
    const cached = await edgeFetch(url, {
      headers: { Referer: "https://www.loader-blog.test/", "If-None-Match": etag },
    });
    expect(cached.status).toBe(304);
    await pushConfig({ ...config, config_version: 2 });
    const fresh = await edgeFetch(url, { headers: { Referer: "https://www.loader-blog.test/", "If-None-Match": etag } });
    expect(fresh.status).toBe(200);
    expect(fresh.headers.get("ETag")).not.toBe(etag);
  });

  it("a foreign page host falls back to the first site", async () => {
    const config = makeTwoSiteConfig("loaderforeign");
    await pushConfig(config);
    const response = await edgeFetch(`https://loaderforeign.edge.test/l/${config.loader_token}.js`, {
      headers: { Referer: "https://evil.test/" },
    });
    expect(response.headers.get("ETag")).toContain(config.sites[0]!.site_id);
  });

  it("404 for unknown or malformed tokens, 402 when paused", async () => {
    const config = makeConfig("loaderpause");
    await pushConfig(config);
    expect((await edgeFetch("https://loaderpause.edge.test/l/lt_unknown_0123456789abcdef.js")).status).toBe(404);
    expect((await edgeFetch("https://loaderpause.edge.test/l/short.js")).status).toBe(404);
    expect((await edgeFetch(`https://loaderpause.edge.test/l/${config.loader_token}.css`)).status).toBe(404);
    // An operator's pause: a usage_limit pause on this unlimited plan would lift itself.
    await admin(`containers/${config.container_id}/pause`, { method: "POST", json: { reason: "ops" } });
    const paused = await edgeFetch(`https://loaderpause.edge.test/l/${config.loader_token}.js`);
    expect(paused.status).toBe(402);
    expect(await paused.json()).toEqual({ error: "container_paused", reason: "ops" });
  });

  it("loader requests are not billed", async () => {
    const config = makeConfig("loadercount");
    await pushConfig(config);
    await edgeFetch(`https://loadercount.edge.test/l/${config.loader_token}.js`);
    const body = await (await admin(`containers/${config.container_id}`)).json<{ usage: { month_requests: number } }>();
    expect(body.usage.month_requests).toBe(0);
  });
});
