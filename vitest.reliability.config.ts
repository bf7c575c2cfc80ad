/**
 * `npm run test:reliability` (scripts/test-reliability.mjs), workerd part: the fault tests in
 * test/reliability/workerd run by the same pool and bindings as vitest.config.ts, in their own
 * run (the default run leaves them out, so `npm test` runs them once, in its reliability step).
 */
import { defineConfig } from "vitest/config";
import base from "./vitest.config.ts";

export default defineConfig({
  ...base,
  test: {
    ...base.test,
    include: ["test/reliability/workerd/**/*.test.ts"],
    exclude: [],
    testTimeout: 60_000,
    // The faults make the product warn on every request: only the matrix rows are shown
    // (RELIABILITY_VERBOSE=1 shows everything).
    onConsoleLog: (log) => (process.env.RELIABILITY_VERBOSE || log.startsWith("RELIABILITY_ROW") ? undefined : false),
  },
});
