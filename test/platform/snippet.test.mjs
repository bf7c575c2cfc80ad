import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { snippetsOf } from "../../scripts/dev/cli/snippet.mjs";

const inspection = {
  container_id: "c1",
  config: {
    sites: [
      { site_id: "s1", primary_host: "www.shop.test", tracked_domains: ["data.shop.test"] },
      { site_id: "s2", primary_host: "blog.test", tracked_domains: [], path_prefix: "/metrics" },
    ],
  },
  sites: [
    { site_id: "s1", endpoints: { loader: "/v1m7v4y/ay9e.min.js" } },
    { site_id: "s2", endpoints: { loader: "/l/lt_0123456789abcdef.js" } },
  ],
};

describe("snippetsOf", () => {
  it("gives each site its own loader path on its primary host; a same-origin site's under its prefix", () => {
    assert.deepEqual(snippetsOf(inspection), [
      { site_id: "s1", host: "www.shop.test", tag: '<script async src="https://www.shop.test/v1m7v4y/ay9e.min.js"></script>' },
      { site_id: "s2", host: "blog.test", tag: '<script async src="https://blog.test/metrics/l/lt_0123456789abcdef.js"></script>' },
    ]);
  });

  it("only the site of --site, on that host; an unknown host names the container's hosts", () => {
    assert.deepEqual(snippetsOf(inspection, "data.shop.test").map((s) => s.tag), [
      '<script async src="https://data.shop.test/v1m7v4y/ay9e.min.js"></script>',
    ]);
    assert.throws(() => snippetsOf(inspection, "other.test"), /its hosts: www\.shop\.test, data\.shop\.test, blog\.test/);
  });
});
