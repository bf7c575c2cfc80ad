/** Entry: builds the router and exports the Worker and its Durable Object classes. */
import { Router, type IRequest } from "itty-router";
import { recordAccess } from "./edge/access";
import { adminRoutes } from "./routes/admin";
import { healthRoutes } from "./routes/health";
import { loaderRoutes } from "./routes/loader";
import { preflightRoutes, proxyRoutes } from "./routes/proxy";
import { recoveryRoutes } from "./routes/recovery";
import { sessionRoutes } from "./routes/session";
import { errorResponse, HttpError } from "./shared/errors";

export { ContainerObject } from "./objects/ContainerObject";
export { RoutesIndex } from "./objects/RoutesIndex";

function toErrorResponse(error: unknown): Response {
  if (error instanceof HttpError) return Response.json(error.body, { status: error.status });
  console.error("unhandled error", error);
  return errorResponse(500, "internal_error");
}

const router = Router<IRequest, [Env, ExecutionContext]>({ catch: toErrorResponse });
healthRoutes(router);
adminRoutes(router);
preflightRoutes(router);
loaderRoutes(router);
sessionRoutes(router);
recoveryRoutes(router);
proxyRoutes(router);

export default {
  async fetch(request, env, ctx) {
    const started = Date.now();
    const response: Response = await router.fetch(request, env, ctx);
    if (!new URL(request.url).pathname.startsWith("/_edge/")) {
      recordAccess(env, ctx, request, response.status, started);
    }
    return response;
  },
} satisfies ExportedHandler<Env>;
