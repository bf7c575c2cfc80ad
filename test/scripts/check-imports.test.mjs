// scripts/check-imports.mjs on fixture trees: a tree that follows the dependency rule passes
// (every kind of import, every allowed edge), and each kind of break is caught at its line.
//
//   node --test test/scripts/check-imports.test.mjs
import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, relative } from "node:path";
import { after, describe, it } from "node:test";
import { checkImports } from "../../scripts/check-imports.mjs";

const scratch = mkdtempSync(join(tmpdir(), "check-imports-"));
after(() => rmSync(scratch, { recursive: true, force: true }));

let trees = 0;
/** A src/ tree from { "path/in/src.ts": "source" }; returns the problems as "file:line: message". */
function check(files) {
  const src = join(scratch, String(trees++), "src");
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(dirname(join(src, path)), { recursive: true });
    writeFileSync(join(src, path), text);
  }
  return checkImports(src).map(({ file, line, message }) =>
    `${relative(src, join(process.cwd(), file))}:${line}: ${message}`);
}

/** A tree that follows the rule, one import per allowed edge and per kind of import. */
const RIGHT = {
  "worker.ts": [
    'import { Router } from "itty-router";',
    'import { proxyRoutes } from "./routes/proxy";',
    'import { recordAccess } from "./pipeline/access.ts";',
    'import { errorResponse } from "./shared/errors";',
    'export { ContainerObject } from "./objects/ContainerObject";',
  ].join("\n"),
  "routes/proxy.ts": [
    'import type { Lease } from "../pipeline/leases";',
    'import { containerStub } from "../bindings/stubs";',
    'import { cors } from "../modules/cors";',
    'import { renderLoader } from "../loader-template/render";',
    'import { helper } from "./helper";',
    "export const proxyRoutes = async () => (await import(\"../shared/errors\")).x;",
  ].join("\n"),
  "routes/helper.ts": "export const helper = 1;",
  "pipeline/access.ts": 'import { kv } from "../bindings/kv-cache";\nimport { logLine } from "../modules/access-log";\nexport * from "./leases";',
  "pipeline/leases.ts": 'import { render } from "../loader-template/render";\nexport type Lease = typeof import("../shared/edge-config");',
  "objects/ContainerObject.ts": [
    'import { DurableObject } from "cloudflare:workers";',
    'import { fetchFallbackConfig } from "../bindings/control-plane";',
    'import { cookieKeeper } from "../modules/cookie-keeper";',
    'import type { EdgeConfig } from "../shared/edge-config";',
    "// import { leases } from \"../pipeline/leases\";   (a comment, not an import)",
    'const text = "import x from \\"../pipeline/leases\\"";',
  ].join("\n"),
  "bindings/stubs.ts": 'import type { EdgeConfig } from "../shared/edge-config";',
  "bindings/kv-cache.ts": 'import { parseEdgeConfig } from "../shared/edge-config";',
  "bindings/control-plane.ts": "export {};",
  "modules/cors.ts": 'import { z } from "zod";\nimport type { Site } from "../shared/edge-config";',
  "modules/access-log.ts": 'import type { output } from "zod/v4";',
  "modules/cookie-keeper.ts": 'import { consent } from "./consent";',
  "modules/consent.ts": "export const consent = 1;",
  "loader-template/render.ts": 'import { generated } from "./loader.generated.ts";\nimport { cors } from "../modules/cors";\nimport { ids } from "../shared/ids";',
  "loader-template/loader.js": "(function () {})();",
  // Generated: not read, whatever it holds.
  "loader-template/loader.generated.ts": 'import { x } from "../pipeline/leases";',
  "shared/edge-config.ts": 'import { object } from "zod";\nimport { ids } from "./ids.ts";',
  "shared/ids.ts": "export const ids = 1;",
  "shared/errors.ts": "export const errorResponse = 1;",
};

describe("check-imports", () => {
  it("passes a tree that follows the rule (positive control)", () => {
    assert.deepEqual(check(RIGHT), []);
  });

  it("names the forbidden edge, at its line, for every kind of import", () => {
    const problems = check({
      ...RIGHT,
      "objects/usage.ts": [
        "// objects never import the pipeline",
        'import { leases } from "../pipeline/leases";',
        "import {",
        "  recordAccess,",
        '} from "../pipeline/access";',
        'import type { Lease } from "../pipeline/leases";',
        'export { proxyRoutes } from "../routes/proxy";',
        'const later = () => import("../pipeline/access");',
        'type Later = typeof import("../pipeline/leases");',
      ].join("\n"),
    });
    const rule = "objects/ may import bindings, modules, shared";
    assert.deepEqual(problems, [
      `objects/usage.ts:2: objects -> pipeline ("../pipeline/leases") is not allowed; ${rule}`,
      `objects/usage.ts:5: objects -> pipeline ("../pipeline/access") is not allowed; ${rule}`,
      `objects/usage.ts:6: objects -> pipeline ("../pipeline/leases") is not allowed; ${rule}`,
      `objects/usage.ts:7: objects -> routes ("../routes/proxy") is not allowed; ${rule}`,
      `objects/usage.ts:8: objects -> pipeline ("../pipeline/access") is not allowed; ${rule}`,
      `objects/usage.ts:9: objects -> pipeline ("../pipeline/leases") is not allowed; ${rule}`,
    ]);
  });

  it("keeps the one-way edges one way", () => {
    const problems = check({
      ...RIGHT,
      "shared/ids.ts": 'import { cors } from "../modules/cors";',
      "modules/consent.ts": 'import { kv } from "../bindings/kv-cache";',
      "bindings/stubs.ts": 'import { ContainerObject } from "../objects/ContainerObject";',
      "pipeline/leases.ts": 'import { proxyRoutes } from "../routes/proxy";\nimport { worker } from "../worker";',
      "worker.ts": 'import { kv } from "./bindings/kv-cache";',
    });
    assert.deepEqual(problems.map((line) => line.split(" is not allowed")[0]), [
      'bindings/stubs.ts:1: bindings -> objects ("../objects/ContainerObject")',
      'modules/consent.ts:1: modules -> bindings ("../bindings/kv-cache")',
      'pipeline/leases.ts:1: pipeline -> routes ("../routes/proxy")',
      'pipeline/leases.ts:2: pipeline -> worker ("../worker")',
      'shared/ids.ts:1: shared -> modules ("../modules/cors")',
      'worker.ts:1: worker -> bindings ("./bindings/kv-cache")',
    ]);
    assert.match(problems.find((line) => line.startsWith("shared/")), /shared\/ may import nothing outside shared\/$/);
  });

  it("lets modules/ and shared/ import no package but their pure ones (zod; the power-ups' parsers)", () => {
    assert.deepEqual(check({
      ...RIGHT,
      "modules/cors.ts": 'import { Router } from "itty-router";\nimport { z } from "zod";',
      "shared/errors.ts": 'import { DurableObject } from "cloudflare:workers";\nimport { Buffer } from "node:buffer";',
    }), [
      'modules/cors.ts:1: modules/ may import no package but zod, isbot, ua-parser-js, ipaddr.js: "itty-router"',
      'shared/errors.ts:1: shared/ may import no package but zod, ipaddr.js: "cloudflare:workers"',
      'shared/errors.ts:2: shared/ may import no package but zod, ipaddr.js: "node:buffer"',
    ]);
  });

  it("fails on folders that are not in the layout, and on imports leaving src/", () => {
    assert.deepEqual(check({
      ...RIGHT,
      "edge/origin.ts": "export const origin = 1;",
      "helpers.ts": "export const helper = 1;",
      "objects/ContainerObject.ts": 'import { origin } from "../edge/origin";\nimport { db } from "../../supabase/functions/_shared/db.ts";',
    }), [
      "edge/origin.ts:1: src/edge/origin.ts is in no folder of the layout (worker.ts, routes/, pipeline/, objects/, bindings/, modules/, loader-template/, shared/)",
      "helpers.ts:1: src/helpers.ts is in no folder of the layout (worker.ts, routes/, pipeline/, objects/, bindings/, modules/, loader-template/, shared/)",
      'objects/ContainerObject.ts:1: "../edge/origin" is src/edge/origin, in no folder of the layout',
      'objects/ContainerObject.ts:2: "../../supabase/functions/_shared/db.ts" leaves src/',
    ]);
  });
});
