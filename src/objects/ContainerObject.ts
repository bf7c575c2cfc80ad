/**
 * One object per container (`idFromName(container_id)`): the authority for its
 * runtime config and config_version, its routing keys, usage, pause state,
 * preserved cookies and the outboxes of its logs and session detections.
 * Hot state lives in memory; every change is written through to SQLite before
 * the caller's response leaves the object (output gate).
 */
import { DurableObject } from "cloudflare:workers";
import { deliverDetections, fetchFallbackConfig } from "../bindings/control-plane";
import { dropCachedConfig, dropCachedRoutes, readCachedConfig, writeAppliedConfig } from "../bindings/kv-cache";
import { parseEdgeConfig, type EdgeConfig } from "../shared/edge-config";
import { routeEntries, type RouteKey } from "../shared/routing-keys";
import { CookieStore } from "./cookie-store";
import { DetectionLimit } from "./detection-limit";
import { logObjectKey } from "../modules/log-query";
import { Outbox } from "./outbox";
import {
  COUNTED_KINDS,
  type AccessBatch,
  type AdmitDecision,
  type AdmitRequest,
  type ApplyResult,
  type ContainerInspection,
  type DetectionOutcome,
  type DetectionReport,
  type Lease,
  type PauseState,
  type PreservedCookies,
  type TopUpRequest,
  type TrafficCount,
} from "../bindings/protocol";
import { claimRoutes, releaseRoutes } from "../bindings/routes-index";
import { usagePauseAt } from "../shared/soft-quota";
import { USAGE_LIMIT_REASON } from "../shared/ids";
import { sqlTag, type Sql } from "./sql";
import { TrafficCounter } from "./traffic";
import { UsageCounter, utcDay } from "./usage";

const FALLBACK_RETRY_MS = 5_000;
const FLUSH_DELAY_MS = 5_000;
const LOG_BATCH = 1_000;
const DETECTION_BATCH = 200;
const MAX_PENDING_LOG_LINES = 50_000;
const MAX_PENDING_DETECTIONS = 10_000;
const KEEP_DELIVERED_SESSIONS = 50_000;
const MAX_LEASE_SLOTS = 1_000;

type MetaRow = { key: string; value: string };
/** A log batch whose write failed: retried as the same entries under the same R2 key. */
type LogRetry = { key: string; lastId: number };

export class ContainerObject extends DurableObject<Env> {
  private readonly sql: Sql;
  private readonly usage: UsageCounter;
  private readonly cookies: CookieStore;
  private readonly traffic: TrafficCounter;
  private readonly logs: Outbox;
  private readonly detections: Outbox;
  private readonly detectionLimit = new DetectionLimit();
  private containerId: string | null = null;
  private config: EdgeConfig | null = null;
  private ownedKeys = new Set<string>();
  private paused: PauseState = null;
  private deleted = false;
  private applying: Promise<unknown> = Promise.resolve();
  private fallback: Promise<void> | null = null;
  private fallbackFailedAt = 0;
  private alarmPending = false;
  private logRetry: LogRetry | null = null;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.sql = sqlTag(ctx.storage);
    this.sql`CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)`;
    this.usage = new UsageCounter(this.sql);
    this.cookies = new CookieStore(this.sql);
    this.traffic = new TrafficCounter(this.sql);
    this.logs = new Outbox(this.sql, ctx.storage, "logs", MAX_PENDING_LOG_LINES);
    this.detections = new Outbox(this.sql, ctx.storage, "detections", MAX_PENDING_DETECTIONS);
    this.loadState();
  }

  // --- hot path -------------------------------------------------------------

  /** Decides one request: owned? paused? module on? within the plan? Counts it durably when admitted. */
  admit(request: AdmitRequest): AdmitDecision | Promise<AdmitDecision> {
    if (this.deleted) return { status: "not_found" };
    if (!this.config) return this.whenConfigured(request.containerId, (config) => this.decide(config, request));
    return this.decide(this.config, request);
  }

  /**
   * A warm isolate's background call (src/pipeline/leases.ts): the current version and pause
   * state, and up to `want` more lease slots, counted now. No request of its own is counted.
   */
  topUp(request: TopUpRequest): AdmitDecision | Promise<AdmitDecision> {
    if (this.deleted) return { status: "not_found" };
    if (!this.config) return this.whenConfigured(request.containerId, (config) => this.answerTopUp(config, request));
    return this.answerTopUp(this.config, request);
  }

  private decide(config: EdgeConfig, request: AdmitRequest): AdmitDecision {
    if (!this.ownedKeys.has(request.key)) return { status: "not_found" };
    if (request.host !== undefined && !this.ownedKeys.has(request.host)) return { status: "foreign_host" };
    const module = COUNTED_KINDS[request.kind];
    if (module && !config.modules[module]) return { status: "module_off" };
    const now = Date.now();
    const paused = this.pausedAt(config, request.knownVersion, now);
    if (paused) return paused;
    if (module) this.usage.increment(now);
    return this.grant(config, request.knownVersion, request.want ?? 0, now);
  }

  private answerTopUp(config: EdgeConfig, request: TopUpRequest): AdmitDecision {
    const now = Date.now();
    return this.pausedAt(config, request.knownVersion, now) ?? this.grant(config, request.knownVersion, request.want, now);
  }

  /** The paused answer, if paused (a usage_limit pause of a past month lifts first). */
  private pausedAt(config: EdgeConfig, knownVersion: number, now: number): AdmitDecision | null {
    if (this.paused?.reason === USAGE_LIMIT_REASON && this.paused.since.slice(0, 7) !== utcDay(now).slice(0, 7)) {
      this.liftUsagePauseUnderLimit(config, now);
    }
    if (!this.paused) return null;
    return { status: "paused", reason: this.paused.reason, version: config.config_version, ...this.attach(config, knownVersion) };
  }

  /** The ok answer, with the lease slots granted (counted now) when any were asked for. */
  private grant(config: EdgeConfig, knownVersion: number, want: number, now: number): AdmitDecision {
    const counted = config.modules.sgtm_proxy || config.modules.gtm_recovery;
    const slots = counted ? this.leaseSlots(config, want, this.usage.monthTotal(now)) : 0;
    if (slots > 0) this.usage.increment(now, slots);
    if (this.overLimit(config, this.usage.monthTotal(now))) this.setPause(USAGE_LIMIT_REASON, now);
    const lease = slots > 0 ? { lease: { slots, day: utcDay(now) } } : {};
    return { status: "ok", version: config.config_version, ...this.attach(config, knownVersion), ...lease };
  }

  private attach(config: EdgeConfig, knownVersion: number): { config?: EdgeConfig } {
    return knownVersion === config.config_version ? {} : { config };
  }

  /**
   * Slots an isolate may use without asking (counted now, returned if unused): the block it
   * asked for, and only while at least two such blocks are left under the limit. Near the
   * limit every request is decided here, one by one, so the limit is exact, and no isolate
   * holds slots while concurrent requests are refused.
   */
  private leaseSlots(config: EdgeConfig, want: number, monthRequests: number): number {
    const wanted = Math.min(Math.max(0, Math.floor(want)), MAX_LEASE_SLOTS);
    const limit = usagePauseAt(config.plan);
    if (limit === null) return wanted;
    return limit - monthRequests >= 2 * wanted ? wanted : 0;
  }

  /** Un-counts the unused slots of an expired lease. */
  returnLease(lease: Lease): void {
    if (!this.config || this.deleted || !(lease.slots > 0)) return;
    const now = Date.now();
    this.usage.release(lease.day, Math.floor(lease.slots), now);
    this.liftUsagePauseUnderLimit(this.config, now);
  }

  /** A cold object without config loads one first (fallback); then `answer` decides. */
  private async whenConfigured(
    containerId: string,
    answer: (config: EdgeConfig) => AdmitDecision,
  ): Promise<AdmitDecision> {
    this.containerId ??= containerId;
    if (Date.now() - this.fallbackFailedAt > FALLBACK_RETRY_MS) {
      this.fallback ??= this.loadFallbackConfig(containerId).finally(() => (this.fallback = null));
    }
    await this.fallback;
    if (this.deleted) return { status: "not_found" };
    return this.config ? answer(this.config) : { status: "config_unavailable" };
  }

  /** Cold object without config: KV copy, then the control plane; never a blind proxy. */
  private async loadFallbackConfig(containerId: string): Promise<void> {
    const cached = parseEdgeConfig(await readCachedConfig(this.env.EDGE_CACHE, containerId));
    const config =
      cached.ok && cached.config.container_id === containerId
        ? cached.config
        : await fetchFallbackConfig(this.env, containerId);
    const result = config ? await this.applyConfig(config) : null;
    if (!result || (result.status !== "applied" && result.status !== "unchanged")) {
      this.fallbackFailedAt = Date.now();
    }
  }

  /** What the Worker learned after its responses: raw log lines and visitors' kept cookies. */
  afterResponses({ lines, traffic, preserve }: AccessBatch): void {
    const now = Date.now();
    const keeper = this.config?.cookie_keeper;
    this.ctx.storage.transactionSync(() => {
      this.logs.append(lines.join("\n"), lines.length);
      this.traffic.record(traffic, now);
      if (!keeper?.restore) return;
      for (const report of preserve) this.cookies.record(report.siteId, report.fpid, report, keeper.require_consent, now);
    });
    this.scheduleFlush(FLUSH_DELAY_MS);
  }

  /** A visitor's preserved cookies on one site (keyed by site and FPID, section 8). */
  preservedCookies(siteId: string, fpid: string): PreservedCookies | null {
    const keeper = this.config?.cookie_keeper;
    return keeper?.restore ? this.cookies.read(siteId, fpid, Date.now(), keeper.max_age_days * 86_400_000) : null;
  }

  /** Queues a session detection once per session, within the container's rate of new sessions (detection-limit.ts). */
  recordDetection(report: DetectionReport): DetectionOutcome {
    const now = Date.now();
    if (!this.detectionLimit.hasRoom(now)) return this.detections.holds(report.session_id) ? "known" : "rate_limited";
    const line = JSON.stringify({ ...report, detected_at: new Date(now).toISOString() });
    if (!this.detections.append(line, 1, report.session_id)) return "known";
    this.detectionLimit.take(now);
    this.scheduleFlush(FLUSH_DELAY_MS);
    return "stored";
  }

  // --- admin ------------------------------------------------------------------

  /** Compare-and-set on config_version; serialised so concurrent pushes end at the highest version. */
  applyConfig(config: EdgeConfig): Promise<ApplyResult> {
    const result = this.applying.then(() => this.applyInOrder(config));
    this.applying = result.catch(() => undefined);
    return result;
  }

  private async applyInOrder(config: EdgeConfig): Promise<ApplyResult> {
    const current = this.config?.config_version ?? 0;
    if (config.config_version < current) return { status: "stale_version", current_version: current };
    if (config.config_version === current) return { status: "unchanged", config_version: current };
    const entries = routeEntries(config);
    const previous = this.config && !this.deleted ? routeEntries(this.config) : [];
    const claim = await claimRoutes(this.env, config.container_id, entries, previous);
    if (!claim.ok) return { status: "route_conflict", key: claim.key };
    this.ctx.storage.transactionSync(() => {
      this.writeMeta("container_id", config.container_id);
      this.writeMeta("config", JSON.stringify(config));
      this.sql`DELETE FROM meta WHERE key = 'deleted'`;
    });
    this.deleted = false;
    this.useConfig(config);
    this.liftUsagePauseUnderLimit(config, Date.now());
    await Promise.all([
      writeAppliedConfig(this.env.EDGE_CACHE, config, entries),
      dropCachedRoutes(this.env.EDGE_CACHE, claim.released),
    ]);
    return { status: "applied", config_version: config.config_version };
  }

  inspect(): ContainerInspection | null {
    if (!this.config || this.deleted) return null;
    const logs = this.logs.stats();
    return {
      container_id: this.config.container_id,
      config_version: this.config.config_version,
      config: this.config,
      paused: this.paused,
      usage: this.usage.snapshot(Date.now()),
      logs: { buffered: logs.pending, dropped: logs.dropped, flushed: logs.delivered, failed_flushes: logs.failed_deliveries },
      detections: this.detections.stats(),
    };
  }

  usageRange(from: string, to: string): Array<{ day: string; requests: number }> | null {
    return this.config && !this.deleted ? this.usage.range(from, to) : null;
  }

  /** Requests per UTC hour (traffic.ts); null for no container. */
  trafficRange(from: string, to: string): TrafficCount[] | null {
    return this.config && !this.deleted ? this.traffic.range(from, to) : null;
  }

  pause(reason: string): PauseState | undefined {
    if (!this.config || this.deleted) return undefined;
    this.setPause(reason, Date.now());
    return this.paused;
  }

  resume(): { resumed: true } | undefined {
    if (!this.config || this.deleted) return undefined;
    this.setPause(null);
    return { resumed: true };
  }

  /**
   * Stops routing and forgets config, pause and preserved cookies. Usage rows (billing)
   * and undelivered log lines stay; a tombstone keeps a stale cache from reviving the
   * container through the fallback.
   */
  deleteContainer(): Promise<boolean> {
    const result = this.applying.then(async () => {
      if (!this.config || this.deleted) return false;
      const containerId = this.config.container_id;
      const released = await releaseRoutes(this.env, containerId);
      this.ctx.storage.transactionSync(() => {
        this.sql`DELETE FROM meta WHERE key IN ('config', 'paused')`;
        this.writeMeta("deleted", new Date().toISOString());
        this.cookies.clear();
      });
      this.config = null;
      this.ownedKeys = new Set();
      this.paused = null;
      this.deleted = true;
      await Promise.all([
        dropCachedRoutes(this.env.EDGE_CACHE, released),
        dropCachedConfig(this.env.EDGE_CACHE, containerId),
      ]);
      return true;
    });
    this.applying = result.catch(() => undefined);
    return result;
  }

  // --- alarm: drain the outboxes, purge expired cookies -------------------------

  override async alarm(): Promise<void> {
    this.alarmPending = false;
    const retryLogsIn = await this.flushLogs();
    const retryDetectionsIn = await this.flushDetections();
    if (this.config) {
      this.cookies.purgeExpired(Date.now(), this.config.cookie_keeper.max_age_days * 86_400_000);
    }
    this.detections.purgeDelivered(KEEP_DELIVERED_SESSIONS);
    const next = Math.min(retryLogsIn, retryDetectionsIn);
    if (Number.isFinite(next)) this.scheduleFlush(next);
  }

  /**
   * Returns the delay before the next try, or Infinity when nothing is left. A failed batch
   * is retried as the same batch under the same key, so a write that landed but whose answer
   * was lost is overwritten, not delivered twice in a larger batch.
   */
  private async flushLogs(): Promise<number> {
    const retry = this.logRetry;
    const batch = (retry && this.logs.takeBatch(LOG_BATCH, retry.lastId)) ?? this.logs.takeBatch(LOG_BATCH);
    if (!batch) return Infinity;
    const day = new Date().toISOString().slice(0, 10);
    const key = retry && batch.lastId === retry.lastId
      ? retry.key
      : logObjectKey(this.containerId ?? "unknown", day, batch.firstId, batch.lastId);
    try {
      await this.env.LOGS.put(key, batch.bodies.join("\n") + "\n", {
        httpMetadata: { contentType: "application/x-ndjson" },
      });
      this.ctx.storage.transactionSync(() => {
        this.logs.confirm(batch);
        this.setLogRetry(null);
      });
      return this.logs.hasPending() ? 0 : Infinity;
    } catch (error) {
      console.warn(`R2 log flush failed for ${this.containerId}: ${String(error)}`);
      this.setLogRetry({ key, lastId: batch.lastId });
      return this.logs.failed();
    }
  }

  private setLogRetry(retry: LogRetry | null): void {
    this.logRetry = retry;
    if (retry) this.writeMeta("log_retry", JSON.stringify(retry));
    else this.sql`DELETE FROM meta WHERE key = 'log_retry'`;
  }

  private async flushDetections(): Promise<number> {
    const batch = this.detections.takeBatch(DETECTION_BATCH);
    if (!batch) return Infinity;
    if (await deliverDetections(this.env, batch.bodies)) {
      this.detections.confirm(batch);
      return this.detections.hasPending() ? 0 : Infinity;
    }
    return this.detections.failed();
  }

  private scheduleFlush(delayMs: number): void {
    if (this.alarmPending) return;
    this.alarmPending = true;
    void this.ctx.storage.setAlarm(Date.now() + delayMs);
  }

  // --- state ------------------------------------------------------------------

  private loadState(): void {
    const meta = new Map(this.sql<MetaRow>`SELECT key, value FROM meta`.map((row) => [row.key, row.value]));
    this.containerId = meta.get("container_id") ?? null;
    this.deleted = meta.has("deleted");
    this.paused = meta.has("paused") ? (JSON.parse(meta.get("paused")!) as PauseState) : null;
    this.logRetry = meta.has("log_retry") ? (JSON.parse(meta.get("log_retry")!) as LogRetry) : null;
    const stored = meta.get("config");
    if (stored) this.useConfig(JSON.parse(stored) as EdgeConfig);
    this.alarmPending = this.logs.hasPending() || this.detections.hasPending();
    if (this.alarmPending) {
      this.ctx.blockConcurrencyWhile(async () => {
        if ((await this.ctx.storage.getAlarm()) === null) await this.ctx.storage.setAlarm(Date.now());
      });
    }
  }

  private useConfig(config: EdgeConfig): void {
    this.config = config;
    this.containerId = config.container_id;
    this.ownedKeys = new Set<RouteKey>(routeEntries(config).map((entry) => entry.key));
  }

  private overLimit(config: EdgeConfig, monthRequests: number): boolean {
    const pauseAt = usagePauseAt(config.plan);
    return pauseAt !== null && monthRequests >= pauseAt;
  }

  /** A usage-limit pause ends when a push raises or lifts the limit, or a new month starts under it. */
  private liftUsagePauseUnderLimit(config: EdgeConfig, now: number): void {
    if (this.paused?.reason === USAGE_LIMIT_REASON && !this.overLimit(config, this.usage.monthTotal(now))) {
      this.setPause(null);
    }
  }

  private setPause(reason: string | null, now = Date.now()): void {
    if (reason === null) {
      this.paused = null;
      this.sql`DELETE FROM meta WHERE key = 'paused'`;
      return;
    }
    if (this.paused?.reason === reason) return;
    this.paused = { reason, since: new Date(now).toISOString() };
    this.writeMeta("paused", JSON.stringify(this.paused));
  }

  private writeMeta(key: string, value: string): void {
    this.sql`INSERT INTO meta (key, value) VALUES (${key}, ${value})
      ON CONFLICT (key) DO UPDATE SET value = excluded.value`;
  }
}
