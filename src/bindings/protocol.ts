/** What the Worker and the container object say to each other over RPC. */
import type { EdgeConfig } from "../shared/edge-config";
import type { RouteKey } from "../shared/routing-keys";
import type { SessionDetection } from "../shared/session-detection";

export interface UsageSnapshot {
  day: string;
  day_requests: number;
  month: string;
  month_requests: number;
}

export type PauseState = { reason: string; since: string } | null;

/** Which request the Worker asks about; `counted` kinds go to the origin and are billed. */
export type AdmitKind = "proxy" | "recovery" | "loader" | "boot" | "detection" | "preflight";

/** Requests of these kinds reach the origin: they need their module on and are counted. */
export const COUNTED_KINDS: Partial<Record<AdmitKind, keyof EdgeConfig["modules"]>> = {
  proxy: "sgtm_proxy",
  recovery: "gtm_recovery",
};

export interface AdmitRequest {
  containerId: string;
  /** The routing key the Worker resolved; the object re-checks that it still owns it. */
  key: RouteKey;
  /** The request host's key when `key` is a token's: the token works only on its own container's hosts (section 8). */
  host?: RouteKey;
  kind: AdmitKind;
  /** config_version the Worker holds in memory: the config is sent back only when it differs. */
  knownVersion: number;
  /** Slots beyond this request the Worker would like to hold as a lease (src/pipeline/leases.ts). */
  want?: number;
}

/** A warm isolate's background call: the object's current word and more slots, nothing counted for itself. */
export interface TopUpRequest {
  containerId: string;
  knownVersion: number;
  want: number;
}

/** Pre-counted slots for later requests of the same isolate, counted on `day`. */
export interface Lease {
  slots: number;
  day: string;
}

export type AdmitDecision =
  | { status: "ok"; version: number; config?: EdgeConfig; lease?: Lease }
  | { status: "paused"; reason: string; version: number; config?: EdgeConfig }
  | { status: "not_found" }
  | { status: "module_off" }
  | { status: "foreign_host" }
  | { status: "config_unavailable" };

/** A routing-index shard's answer to a claim: the keys it let go of, or the first key another container owns. */
export type ClaimResult = { ok: true; released: RouteKey[] } | { ok: false; key: RouteKey; owner: string };

export type ApplyResult =
  | { status: "applied"; config_version: number }
  | { status: "unchanged"; config_version: number }
  | { status: "stale_version"; current_version: number }
  | { status: "route_conflict"; key: string };

export interface ContainerInspection {
  container_id: string;
  config_version: number;
  config: EdgeConfig;
  paused: PauseState;
  usage: UsageSnapshot;
  logs: { buffered: number; dropped: number; flushed: number; failed_flushes: number };
  detections: { pending: number; delivered: number; dropped: number; failed_deliveries: number };
}

export interface PreservedCookies {
  cookies: Array<{ name: string; value: string }>;
  consent: { analytics: boolean | null; ads: boolean | null };
}

export type DetectionReport = Omit<SessionDetection, "detected_at">;

/** A detection queued, a repeat of a known session, or a new session past the container's rate. */
export type DetectionOutcome = "stored" | "known" | "rate_limited";

/** What a hit says about its visitor's preserved cookies on its site (section 8). */
export type PreserveReport = { siteId: string; fpid: string } & PreservedCookies;

/** Requests of one hour, path class, status class and recovered flag (modules/log-query.ts TrafficTally). */
export interface TrafficCount {
  hour: string;
  path_class: string;
  status_class: string;
  recovered: boolean;
  requests: number;
}

/**
 * What the Worker hands a container's object after its responses, one call per window: the
 * raw log lines, their requests per hourly bucket (so the object never parses a line), and
 * what the hits said of their visitors' kept cookies, in order. A report equal to the same
 * visitor's previous one in the batch is left out: applying a report twice
 * changes nothing (modules/cookie-keeper.ts nextPreserved), and every hit of a page view
 * would otherwise carry the same one.
 */
export interface AccessBatch {
  lines: string[];
  traffic: TrafficCount[];
  preserve: PreserveReport[];
}
