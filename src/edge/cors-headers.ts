/** Adds the CORS grant (if any) to response headers, keeping any `Vary` the origin sent. */
import { corsHeaders } from "../modules/cors";

export function applyCors(headers: Headers, request: Request, hosts: ReadonlySet<string>): void {
  const grant = corsHeaders(request.headers.get("Origin"), hosts);
  if (grant) {
    headers.set("Access-Control-Allow-Origin", grant["Access-Control-Allow-Origin"]!);
    headers.set("Access-Control-Allow-Credentials", "true");
  }
  const vary = headers.get("Vary");
  if (!vary?.split(",").some((name) => name.trim().toLowerCase() === "origin")) {
    headers.set("Vary", vary ? `${vary}, Origin` : "Origin");
  }
}
