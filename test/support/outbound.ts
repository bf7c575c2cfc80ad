/**
 * Outbound HTTP of the Worker and its objects (sGTM origin, control plane), mocked at
 * `globalThis.fetch`, which tests, Worker and objects share in vitest-pool-workers.
 * An unhandled outbound request fails the test: nothing leaves unnoticed.
 */
import { vi } from "vitest";

export type Handler = (request: Request) => Response | Promise<Response>;

export interface Outbound {
  requests: Request[];
  bodies: string[];
}

export function mockOutbound(handlers: Record<string, Handler>): Outbound {
  const seen: Outbound = { requests: [], bodies: [] };
  vi.spyOn(globalThis, "fetch").mockImplementation(async (input, init) => {
    const request = new Request(input as RequestInfo, init);
    const handler = handlers[new URL(request.url).origin];
    if (!handler) throw new Error(`unexpected outbound request to ${request.url}`);
    seen.requests.push(request.clone());
    seen.bodies.push(await request.clone().text());
    return handler(request);
  });
  return seen;
}

/** An origin that answers with what it got, plus hop-by-hop headers the edge must drop. */
export const echoOrigin: Handler = (request) =>
  new Response(`${request.method} ${new URL(request.url).pathname}${new URL(request.url).search}`, {
    headers: { "X-Origin": "yes", Connection: "keep-alive, X-Hop", "X-Hop": "1" },
  });
