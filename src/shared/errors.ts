/** Errors are data: `{ "error": "snake_case_code", ... }` with the contract's status. */
export type ErrorCode = EdgeErrorCode | FunctionErrorCode;

/** What the Worker answers (edge contract sections 2, 3, 8). */
export type EdgeErrorCode =
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
  | "rate_limited"
  // power-ups (docs/power-ups.md): refused at the edge before admission, never counted
  | "ip_blocked"
  | "bot_blocked"
  | "internal_error";

/** What the control-plane functions answer besides those (edge contract section 7). */
export type FunctionErrorCode =
  | "forbidden"
  | "invalid_query"
  | "invalid_idempotency_key"
  | "idempotency_key_reused"
  | "idempotency_key_in_progress"
  | "domain_taken"
  | "no_ports"
  | "provisioner_failed"
  | "config_incomplete"
  | "edge_unavailable"
  | "edge_rejected"
  // site endpoints and same-origin mode (contract sections 9, 10; docs/control-plane-api.md)
  | "container_not_live"
  | "rotation_in_progress"
  | "edge_admin_not_configured"
  // contract section 11 (domains, container deletion, plan changes)
  | "too_many_domains"
  | "edge_provider_failed"
  | "edge_provider_not_configured"
  // power-ups (docs/power-ups.md)
  | "not_in_plan"
  // the database down or restarting: 503 with Retry-After (docs/reliability.md)
  | "database_unavailable";

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
