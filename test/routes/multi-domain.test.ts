import { afterEach, describe, expect, it, vi } from "vitest";
import { makeTwoSiteConfig, ORIGIN } from "../support/config";
import { encodeRecoveryParam } from "../../src/modules/recovery-path";
import { admin, edgeFetch, pushConfig } from "../support/edge";
import { mockOutbound } from "../support/outbound";

afterEach(() => vi.restoreAllMocks());

const setsGa = () => {
  const headers = new Headers();
  headers.append("Set-Cookie", "_ga=GA1.1.5.6; Path=/");
  return new Response("ok", { headers });
};

describe("multi-domain: one container, several sites", () => {
  it("X-Public-Host of the same container selects the site: its cookie domain, its forwarded host", async () => {
    const config = makeTwoSiteConfig("md");
    const outbound = mockOutbound({ [ORIGIN]: setsGa });
    expect((await pushConfig(config)).status).toBe(200);
    const response = await edgeFetch("https://md.edge.test/g/collect?v=2&gcs=G111", {
      headers: { Host: "md.edge.test", "X-Public-Host": "www.md-blog.test" },
    });
    expect(response.headers.getSetCookie()).toEqual([
      "_ga=GA1.1.5.6; Max-Age=34128000; Domain=md-blog.test; Path=/; Secure; SameSite=Lax",
    ]);
    expect(outbound.requests[0]!.headers.get("X-Forwarded-Host")).toBe("www.md-blog.test");
  });

  it("a foreign X-Public-Host is ignored: the request host's site (else the first) keeps its cookies", async () => {
    const config = makeTwoSiteConfig("mdf");
    const outbound = mockOutbound({ [ORIGIN]: setsGa });
    expect((await pushConfig(config)).status).toBe(200);
    const onBlog = await edgeFetch("https://data.mdf-blog.test/g/collect?v=2&gcs=G111", {
      headers: { Host: "data.mdf-blog.test", "X-Public-Host": "www.evil.test" },
    });
    expect(onBlog.headers.getSetCookie()[0]).toContain("Domain=mdf-blog.test");
    const onEdge = await edgeFetch("https://mdf.edge.test/g/collect?v=2&gcs=G111", {
      headers: { Host: "mdf.edge.test", "X-Public-Host": "www.evil.test" },
    });
    expect(onEdge.headers.getSetCookie()[0]).toContain("Domain=mdf.test");
    expect(outbound.requests.map((r) => r.headers.get("X-Forwarded-Host"))).toEqual(["data.mdf-blog.test", "mdf.edge.test"]);
  });

  it("usage and config are shared by the sites", async () => {
    const config = makeTwoSiteConfig("mds");
    mockOutbound({ [ORIGIN]: setsGa });
    expect((await pushConfig(config)).status).toBe(200);
    await edgeFetch("https://www.mds.test/a", { headers: { Host: "www.mds.test" } });
    await edgeFetch("https://www.mds-blog.test/a", { headers: { Host: "www.mds-blog.test" } });
    await edgeFetch(`https://mds.edge.test/k/ct_mds_blog_0123456789abcdef?p=${encodeRecoveryParam("/collect?v=1")}`);
    const body = await (await admin(`containers/${config.container_id}`)).json<{ usage: { day_requests: number } }>();
    expect(body.usage.day_requests).toBe(3);
  });
});
