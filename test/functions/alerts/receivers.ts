/**
 * What the alerts test talks to, all real and on loopback: a webhook receiver (Deno.serve)
 * that records every POST and can be told to fail the next N, and an sGTM-like origin whose
 * /healthy path can be stopped (its port closed) and started again on the same port.
 */

export interface WebhookReceiver {
  url: string;
  received: { headers: Headers; body: string }[];
  /** The next this-many POSTs are answered 500. */
  failNext: number;
  close(): Promise<void>;
}

export function startWebhookReceiver(): WebhookReceiver {
  const receiver: WebhookReceiver = {
    url: "",
    received: [],
    failNext: 0,
    close: () => server.shutdown(),
  };
  const server = Deno.serve({ port: 0, hostname: "127.0.0.1", onListen: () => {} }, async (request) => {
    receiver.received.push({ headers: request.headers, body: await request.text() });
    if (receiver.failNext > 0) {
      receiver.failNext--;
      return new Response("try later", { status: 500 });
    }
    return new Response("ok");
  });
  receiver.url = `http://127.0.0.1:${server.addr.port}/hooks/alerts`;
  return receiver;
}

export interface Origin {
  url: string;
  probes: number;
  stop(): Promise<void>;
  start(): void;
  close(): Promise<void>;
}

export function startOrigin(): Origin {
  let server: Deno.HttpServer<Deno.NetAddr> | null = null;
  let port = 0;
  const origin: Origin = {
    url: "",
    probes: 0,
    start() {
      server = Deno.serve({ port, hostname: "127.0.0.1", onListen: () => {} }, (request) => {
        const path = new URL(request.url).pathname;
        if (path === "/healthy") origin.probes++;
        return path === "/healthy" ? new Response("ok") : new Response("not found", { status: 404 });
      });
      port = server.addr.port;
      origin.url = `http://127.0.0.1:${port}`;
    },
    async stop() {
      await server?.shutdown();
      server = null;
    },
    close: () => origin.stop(),
  };
  origin.start();
  return origin;
}
