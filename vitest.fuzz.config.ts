/**
 * `npm run fuzz` (scripts/fuzz.mjs): the properties in test/fuzz at full strength.
 * The normal run (vitest.config.ts) runs the same files at the small CI counts.
 */
import { defineConfig } from "vitest/config";
import base from "./vitest.config.ts";

const runs = (name: string, fallback: number) => {
  const value = Number(process.env[name] ?? fallback);
  if (!Number.isInteger(value) || value < 1) throw new Error(`${name} must be a positive integer, got ${process.env[name]}`);
  return value;
};

export default defineConfig({
  ...base,
  test: {
    ...base.test,
    include: ["test/fuzz/**/*.test.ts"],
    provide: { fuzzRuns: runs("FUZZ_RUNS", 100_000), fuzzIntegrationRuns: runs("FUZZ_INTEGRATION_RUNS", 300) },
    testTimeout: 20 * 60_000,
  },
});
