/** Errors are data: `{ "error": "snake_case_code", ... }` with the contract's status. */
export type ErrorCode =
  | "unauthorized"
  | "not_found"
  | "invalid_config"
  | "invalid_body"
  | "invalid_path"
  | "stale_version"
  | "route_conflict"
  | "container_paused"
  | "config_unavailable"
  | "origin_unreachable"
  | "origin_timeout"
  | "method_not_allowed"
  | "payload_too_large"
  | "internal_error";

export type ErrorBody = { error: ErrorCode } & Record<string, unknown>;

export class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly body: ErrorBody,
  ) {
    super(body.error);
  }
}

export function errorResponse(status: number, error: ErrorCode, extra: Record<string, unknown> = {}): Response {
  return Response.json({ error, ...extra }, { status });
}

/** For a known path asked with another method. */
export function methodNotAllowed(allowed: string[]): () => Response {
  return () =>
    Response.json({ error: "method_not_allowed", allowed }, { status: 405, headers: { Allow: allowed.join(", ") } });
}
