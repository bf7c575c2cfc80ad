/** Entry: builds the router and exports the Worker and its Durable Object classes. */
import { Router } from "itty-router";
import { noteRequest, recordAccess, type EdgeRequest } from "./pipeline/access";
import { refusedAtEdge } from "./pipeline/power-ups";
import { withSiteView } from "./pipeline/site-view";
import { adminRoutes } from "./routes/admin";
import { healthRoutes } from "./routes/health";
import { loaderRoutes } from "./routes/loader";
import { preflightRoutes, proxyRoutes } from "./routes/proxy";
import { recoveryRoutes } from "./routes/recovery";
import { sessionRoutes } from "./routes/session";
import { siteEndpointRoutes } from "./routes/site-endpoints";
import { errorResponse, HttpError } from "./shared/errors";

export { ContainerObject } from "./objects/ContainerObject";
export { RoutesIndex } from "./objects/RoutesIndex";

function toErrorResponse(error: unknown): Response {
  if (error instanceof HttpError) return Response.json(error.body, { status: error.status });
  console.error("unhandled error", error);
  return errorResponse(500, "internal_error");
}

const router = Router<EdgeRequest, [Env, ExecutionContext]>({ catch: toErrorResponse });
healthRoutes(router);
adminRoutes(router);
preflightRoutes(router);
siteEndpointRoutes(router);
loaderRoutes(router);
sessionRoutes(router);
recoveryRoutes(router);
proxyRoutes(router);

export default {
  async fetch(request, env, ctx) {
    const started = Date.now();
    const noted = noteRequest(request);
    const viewed = await withSiteView(env, ctx, noted);
    // Blocked addresses and bots are answered before any route admits (counts) them.
    const response: Response = refusedAtEdge(viewed) ?? (await router.fetch(viewed as EdgeRequest, env, ctx));
    if (!noted.parsed.url.pathname.startsWith("/_edge/")) recordAccess(env, ctx, noted, response.status, started);
    return response;
  },
} satisfies ExportedHandler<Env>;
