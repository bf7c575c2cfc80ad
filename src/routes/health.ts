import type { RouterType } from "itty-router";

export function healthRoutes(router: RouterType) {
  router.get("/_edge/health", () => new Response("ok", { headers: { "content-type": "text/plain" } }));
}
