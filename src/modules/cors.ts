/**
 * CORS for proxied endpoints (edge contract section 3): the request Origin is
 * reflected only when it is a canonical http(s) origin whose hostname is a
 * host of the same container. Never `*`, never `null`.
 */

export const PREFLIGHT_MAX_AGE_SECONDS = 600;
const ALLOWED_METHODS = "GET, POST, OPTIONS";
/** RFC 9110 token: the only shape a request header name can take. */
const HEADER_NAME_RE = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
const MAX_REQUEST_HEADERS = 32;
const MAX_REQUEST_HEADERS_CHARS = 1024;

/** The canonical allowed origin (`https://host[:port]`), or null. */
export function allowedOrigin(requestOrigin: string | null, containerHosts: ReadonlySet<string>): string | null {
  if (!requestOrigin) return null;
  let url: URL;
  try {
    url = new URL(requestOrigin);
  } catch {
    return null;
  }
  if (url.protocol !== "https:" && url.protocol !== "http:") return null;
  // An Origin header is exactly scheme://host[:port]: anything the serializer would change (path, fragment,
  // userinfo, default port, whitespace) is a trick, not an origin. Case alone is tolerated.
  if (url.origin !== requestOrigin.toLowerCase()) return null;
  return containerHosts.has(url.hostname) ? url.origin : null;
}

export function corsHeaders(
  requestOrigin: string | null,
  containerHosts: ReadonlySet<string>,
): Record<string, string> | null {
  const origin = allowedOrigin(requestOrigin, containerHosts);
  if (!origin) return null;
  return {
    "Access-Control-Allow-Origin": origin,
    "Access-Control-Allow-Credentials": "true",
    Vary: "Origin",
  };
}

/**
 * Puts the CORS grant (if any) on a response's headers. `Vary: Origin` is always there,
 * merged into any `Vary` the origin sent: the answer depends on the request's Origin.
 */
export function applyCors(headers: Headers, requestOrigin: string | null, containerHosts: ReadonlySet<string>): void {
  const grant = corsHeaders(requestOrigin, containerHosts) ?? { Vary: "Origin" };
  for (const [name, value] of Object.entries(grant)) {
    if (name === "Vary") addVary(headers, value);
    else headers.set(name, value);
  }
}

function addVary(headers: Headers, name: string): void {
  const vary = headers.get("Vary");
  if (vary?.split(",").some((listed) => listed.trim().toLowerCase() === name.toLowerCase())) return;
  headers.set("Vary", vary ? `${vary}, ${name}` : name);
}

/** OPTIONS answered at the edge: 204 always; CORS grants only for an allowed origin. */
export function preflightResponse(request: Request, containerHosts: ReadonlySet<string>): Response {
  const cors = corsHeaders(request.headers.get("Origin"), containerHosts);
  if (!cors) return new Response(null, { status: 204, headers: { Vary: "Origin" } });
  const headers = new Headers(cors);
  headers.set("Vary", "Origin, Access-Control-Request-Headers");
  headers.set("Access-Control-Allow-Methods", ALLOWED_METHODS);
  headers.set("Access-Control-Max-Age", String(PREFLIGHT_MAX_AGE_SECONDS));
  const requested = safeRequestedHeaders(request.headers.get("Access-Control-Request-Headers"));
  if (requested) headers.set("Access-Control-Allow-Headers", requested);
  return new Response(null, { status: 204, headers });
}

/** The requested header names, lower-cased, only when every one is a plain token. */
function safeRequestedHeaders(raw: string | null): string | null {
  if (!raw || raw.length > MAX_REQUEST_HEADERS_CHARS) return null;
  const names = raw.split(",").map((name) => name.trim().toLowerCase()).filter((name) => name !== "");
  if (names.length === 0 || names.length > MAX_REQUEST_HEADERS) return null;
  return names.every((name) => HEADER_NAME_RE.test(name)) ? names.join(", ") : null;
}
