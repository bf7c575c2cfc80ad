import { cloudflareTest } from "@cloudflare/vitest-pool-workers";
import { defineConfig } from "vitest/config";

export default defineConfig({
  plugins: [
    cloudflareTest({
      main: "./src/worker.ts",
      wrangler: { configPath: "./wrangler.toml" },
      miniflare: {
        bindings: {
          EDGE_ADMIN_TOKEN: "test-admin-token-0123456789abcdef",
          EDGE_AUTH_SECRET: "test-edge-auth-secret",
          CONTROL_PLANE_URL: "https://control.test/functions/v1",
          ORIGIN_TIMEOUT_MS: "300",
        },
      },
    }),
  ],
  test: {
    include: ["test/**/*.test.ts"],
    // test/reliability: its own run (vitest.reliability.config.ts, scripts/test-reliability.mjs).
    exclude: ["test/e2e/**", "test/functions/**", "test/platform/**", "test/reliability/**"],
  },
});
