/** Entry: builds the router and exports the Worker and its Durable Object classes. */
import { Router } from "itty-router";
import { noteRequest, recordAccess, type EdgeRequest } from "./pipeline/access";
import { refusedAtEdge } from "./pipeline/power-ups";
import { withSiteView } from "./pipeline/site-view";
import { adminRoutes } from "./routes/admin";
import { healthRoutes } from "./routes/health";
import { loaderRoutes } from "./routes/loader";
import { preflight, proxy } from "./routes/proxy";
import { recoveryRoutes } from "./routes/recovery";
import { sessionRoutes } from "./routes/session";
import { siteEndpoint } from "./routes/site-endpoints";
import { errorResponse, HttpError } from "./shared/errors";

export { ContainerObject } from "./objects/ContainerObject";
export { RoutesIndex } from "./objects/RoutesIndex";

function toErrorResponse(error: unknown): Response {
  if (error instanceof HttpError) return Response.json(error.body, { status: error.status });
  console.error("unhandled error", error);
  return errorResponse(500, "internal_error");
}

/** The edge's named paths: health and admin under /_edge/, the loader, /boot and detections, /k/. */
const router = Router<EdgeRequest, [Env, ExecutionContext]>({ catch: toErrorResponse });
healthRoutes(router);
adminRoutes(router);
loaderRoutes(router);
sessionRoutes(router);
recoveryRoutes(router);

/** Whether a named route's pattern (itty's own compiled table) takes the path, whatever the method. */
const named = (pathname: string) => router.routes.some(([, pattern]) => pattern.test(pathname));

/**
 * In this order: /_edge/ routes; a CORS preflight, for any path; the site's own endpoint paths
 * (section 9), ahead of the named ones; the named routes; the proxy. Most requests are hits
 * that only the last two could take: they are tested against the named patterns and go
 * straight to the proxy, without the router's own parse of URL and query (about 8% of a
 * plain hit's cost on workerd, docs/scaling.md).
 */
async function dispatch(request: EdgeRequest, env: Env, ctx: ExecutionContext): Promise<Response> {
  const { pathname } = request.parsed.url;
  const isNamed = named(pathname);
  const edgePath = pathname.startsWith("/_edge/");
  if (isNamed && edgePath) {
    const answer = await router.fetch(request, env, ctx);
    if (answer) return answer;
  }
  if (request.method === "OPTIONS") return preflight(request, env, ctx);
  const own = await siteEndpoint(request, env, ctx);
  if (own) return own;
  if (isNamed && !edgePath) {
    const answer = await router.fetch(request, env, ctx);
    if (answer) return answer;
  }
  return proxy(request, env, ctx);
}

export default {
  async fetch(request, env, ctx) {
    const started = Date.now();
    const noted = noteRequest(request);
    const viewed = await withSiteView(env, ctx, noted);
    // Blocked addresses and bots are answered before any route admits (counts) them.
    const response: Response = refusedAtEdge(viewed) ?? (await dispatch(viewed as EdgeRequest, env, ctx).catch(toErrorResponse));
    if (!noted.parsed.url.pathname.startsWith("/_edge/")) recordAccess(env, ctx, noted, response.status, started);
    return response;
  },
} satisfies ExportedHandler<Env>;
