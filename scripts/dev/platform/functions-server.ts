/**
 * Local Supabase functions gateway (Deno): one port serving
 *   /functions/v1/{name}[/...]           -> supabase/functions/{name}/index.ts default export `fetch`
 *   /auth/v1/.well-known/jwks.json       -> the local signing key's JWKS (what supabase-js getClaims fetches)
 *
 * Like the Supabase edge runtime, a function sees its path without the
 * `/functions/v1` prefix (`/{name}/...`). Every directory under
 * supabase/functions/ with an index.ts, except `_*` (shared code), is served.
 * Env comes from the process; SUPABASE_URL defaults to this server's own URL so
 * the functions find the JWKS here, SUPABASE_ANON_KEY to a local placeholder.
 *
 * Run: `npx deno run -A scripts/dev/platform/functions-server.ts` (FUNCTIONS_PORT, default 54321).
 */
import { jwksOf, type LocalSigningKey, loadOrCreateSigningKey } from "./local-auth.ts";

type FunctionHandler = { fetch(request: Request): Response | Promise<Response> };

const FUNCTIONS_DIR = new URL("../../../supabase/functions/", import.meta.url);
const FUNCTION_PATH = /^\/functions\/v1\/([a-z0-9][a-z0-9_-]*)(\/.*)?$/;
const JWKS_PATH = "/auth/v1/.well-known/jwks.json";

export interface FunctionsServer {
  url: string;
  functions: string[];
  close(): Promise<void>;
}

export async function startFunctionsServer(
  options: { port?: number; signingKey?: LocalSigningKey; hostname?: string } = {},
): Promise<FunctionsServer> {
  const signingKey = options.signingKey ?? (await loadOrCreateSigningKey());
  const handlers = await loadFunctions();
  const server = Deno.serve(
    { port: options.port ?? 0, hostname: options.hostname ?? "127.0.0.1", onListen: () => {} },
    (request) => route(request, handlers, signingKey),
  );
  const url = `http://${server.addr.hostname}:${server.addr.port}`;
  if (!Deno.env.get("SUPABASE_URL")) Deno.env.set("SUPABASE_URL", url);
  if (!Deno.env.get("SUPABASE_ANON_KEY")) Deno.env.set("SUPABASE_ANON_KEY", "local-anon-key");
  return { url, functions: [...handlers.keys()], close: () => server.shutdown() };
}

async function loadFunctions(): Promise<Map<string, FunctionHandler>> {
  const handlers = new Map<string, FunctionHandler>();
  for await (const entry of Deno.readDir(FUNCTIONS_DIR)) {
    if (!entry.isDirectory || entry.name.startsWith("_")) continue;
    const entryFile = new URL(`${entry.name}/index.ts`, FUNCTIONS_DIR);
    try {
      await Deno.stat(entryFile);
    } catch {
      continue;
    }
    const module = await import(entryFile.href);
    if (typeof module.default?.fetch !== "function") {
      throw new Error(`supabase/functions/${entry.name}/index.ts must export default { fetch }`);
    }
    handlers.set(entry.name, module.default);
  }
  return handlers;
}

async function route(
  request: Request,
  handlers: Map<string, FunctionHandler>,
  signingKey: LocalSigningKey,
): Promise<Response> {
  const url = new URL(request.url);
  if (url.pathname === JWKS_PATH && request.method === "GET") return Response.json(jwksOf(signingKey));
  const match = FUNCTION_PATH.exec(url.pathname);
  const handler = match && handlers.get(match[1]!);
  if (!match || !handler) return Response.json({ error: "not_found" }, { status: 404 });
  url.pathname = `/${match[1]}${match[2] ?? ""}`;
  try {
    const hasBody = request.method !== "GET" && request.method !== "HEAD";
    return await handler.fetch(
      new Request(url, { method: request.method, headers: request.headers, body: hasBody ? request.body : null }),
    );
  } catch (error) {
    console.error(`function ${match[1]} threw`, error);
    return Response.json({ error: "internal_error" }, { status: 500 });
  }
}

if (import.meta.main) {
  const server = await startFunctionsServer({ port: Number(Deno.env.get("FUNCTIONS_PORT") ?? 54321) });
  console.log(`functions server listening on ${server.url}/functions/v1 (${server.functions.join(", ")})`);
}
