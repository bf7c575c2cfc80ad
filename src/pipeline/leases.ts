/**
 * What an isolate knows about each container between object calls, so that a warm isolate
 * serves a container far from its plan limit without waiting on the object:
 *
 * - the object's last word (config version, pause state) and when it was said; an
 *   uncounted request (loader, boot, preflight, detection) is served on it for at most
 *   STATE_TTL_MS;
 * - a lease: slots the object has already counted, durably, for this isolate's coming
 *   requests. A counted request spends one without a hop while the lease lives
 *   (LEASE_TTL_MS after its last top-up); what is left goes back to the object at the end.
 *
 * A request older than REFRESH_MS after the last word, or one that leaves the lease under
 * half its block, tops it up in the background (the request's waitUntil): with steady
 * traffic the isolate hears of a pause or a removed host about a second after it happened,
 * and never waits. The object grants no block while fewer than two are left under the
 * limit, so near it requests go back to it one by one and the limit stays exact. An
 * isolate that dies holding slots leaves them counted: over-count by at most one block,
 * never an under-count. Changes made through this isolate drop its knowledge at once.
 * Bounds and figures: docs/scaling.md.
 */
import type { Lease } from "../bindings/protocol";
import { BoundedMap } from "./bounded-map";

/** A counted request spends slots of a lease topped up at most this long ago. */
export const LEASE_TTL_MS = 10_000;
/** An uncounted request is served on the object's word of at most this age. */
export const STATE_TTL_MS = 30_000;
/** A request this long after the object's last word asks for a new one in the background. */
export const REFRESH_MS = 1_000;
/** A block covers this much of the container's recent counted traffic in this isolate. */
const BLOCK_SECONDS = 2;
export const MIN_BLOCK = 32;
export const MAX_BLOCK = 1_000;
const MAX_CONTAINERS = 10_000;

export type GiveBack = (lease: Lease) => Promise<unknown>;
export type KeepAlive = (work: Promise<unknown>) => void;

/** The object's answer to an admission or a top-up, as the isolate keeps it. */
export interface Word {
  version: number;
  paused: string | null;
  lease?: Lease;
  /** Slots the ask wanted: none granted (near the limit, counted modules off) holds asking back for REFRESH_MS. */
  asked: number;
}

export interface Known {
  version: number;
  paused: string | null;
  heardAt: number;
  slots: number;
  day: string;
  expires: number;
  /** A top-up (or the admission that asked for slots) in flight. */
  inflight: Promise<unknown> | null;
  /** Forgotten (endLease) while an ask was in flight: what it brings goes straight back. */
  ended: boolean;
  /** When the object last granted nothing of what was asked. */
  refusedAt: number;
  giveBack: GiveBack;
  /** Counted requests this second and in the previous one: sizes the block. */
  second: number;
  count: number;
  previous: number;
}

const known = new BoundedMap<string, Known>(MAX_CONTAINERS);
/** Give-backs in flight, so a reader of usage can wait for them (endLease). */
const settling = new Map<string, Promise<unknown>>();

/** `ADMISSION_LEASE_MIN_RPS`: leases for containers at least this busy here (default 0: all), `off` for none. */
export function leaseMinRate(setting: string | undefined): number | null {
  if (setting === "off") return null;
  const rate = Number(setting);
  return setting && Number.isFinite(rate) && rate >= 0 ? rate : 0;
}

export function knownState(containerId: string): Known | undefined {
  return known.get(containerId);
}

/** True when a live slot covers a counted request (and spends it). */
export function spendSlot(state: Known, now: number): boolean {
  if (state.slots <= 0 || state.expires <= now) return false;
  state.slots -= 1;
  return true;
}

/** Slots to ask for now (to fill one block): 0 when quiet (under `minRate`), strict, or already asking. */
export function slotsToAsk(state: Known | undefined, minRate: number | null, now: number): number {
  if (minRate === null || state?.inflight || (state && now - state.refusedAt < REFRESH_MS)) return 0;
  const lastSecond = state?.previous ?? 0;
  if (lastSecond < minRate) return 0;
  const block = Math.min(MAX_BLOCK, Math.max(MIN_BLOCK, Math.ceil(lastSecond * BLOCK_SECONDS)));
  const held = state && state.expires > now ? state.slots : 0;
  return held * 2 < block ? block - held : 0;
}

/** Whether a request at `now` should top up in the background: the word is old or the lease half spent. */
export function wantsTopUp(state: Known, now: number, minRate: number | null): boolean {
  if (state.inflight || state.paused !== null) return false;
  return now - state.heardAt >= REFRESH_MS || slotsToAsk(state, minRate, now) > 0;
}

/** The state an ask about `containerId` will report to (`heard`), created when new. */
export function stateFor(containerId: string, giveBack: GiveBack, keepAlive: KeepAlive): Known {
  let state = known.get(containerId);
  if (!state) {
    // A map full of containers pushes the oldest out: its lease still goes back.
    const evicted = known.evicting(containerId);
    if (evicted !== undefined) keepAlive(endLease(evicted));
    state = {
      version: 0, paused: null, heardAt: 0, slots: 0, day: "", expires: 0, inflight: null, ended: false, refusedAt: 0, giveBack,
      second: 0, count: 0, previous: 0,
    };
    known.set(containerId, state);
  }
  return state;
}

/**
 * Keeps the object's word. Granted slots join the lease (one of another day goes back
 * first); `keepAlive` (the request's waitUntil) ends the lease LEASE_TTL_MS after this
 * top-up unless another came since. A paused container's lease goes back at once.
 */
export function heard(containerId: string, state: Known, word: Word, now: number, keepAlive: KeepAlive): void {
  const lease = word.lease;
  if (word.asked > 0 && !(lease && lease.slots > 0)) state.refusedAt = now;
  if (lease && lease.slots > 0) {
    if (state.slots > 0 && state.day !== lease.day) keepAlive(giveBackRest(containerId, state));
    state.slots += lease.slots;
    state.day = lease.day;
  }
  if (state.ended || word.paused !== null) {
    keepAlive(giveBackRest(containerId, state));
    if (state.ended) return;
  }
  state.version = word.version;
  state.paused = word.paused;
  state.heardAt = now;
  if (state.slots <= 0) return;
  const expires = (state.expires = now + LEASE_TTL_MS);
  keepAlive(
    new Promise((resolve) => setTimeout(resolve, LEASE_TTL_MS)).then(() => {
      if (state.expires === expires) return giveBackRest(containerId, state);
    }),
  );
}

/** Forgets what this isolate knew of a container; resolves once its unused slots are back. */
export function endLease(containerId: string): Promise<unknown> {
  const state = known.get(containerId);
  if (!state) return settled(containerId);
  known.delete(containerId);
  state.ended = true;
  return Promise.resolve(state.inflight)
    .catch(() => undefined)
    .then(() => giveBackRest(containerId, state))
    .then(() => settled(containerId));
}

function settled(containerId: string): Promise<unknown> {
  return settling.get(containerId) ?? Promise.resolve();
}

function giveBackRest(containerId: string, state: Known): Promise<unknown> {
  const rest = state.slots;
  state.slots = 0;
  state.expires = 0;
  if (rest <= 0) return settled(containerId);
  const sent = state
    .giveBack({ slots: rest, day: state.day })
    .catch((error: unknown) => console.warn(`lease give-back of ${rest} slots for ${containerId} failed: ${String(error)}`));
  const all: Promise<unknown> = Promise.all([settling.get(containerId), sent]).finally(() => {
    if (settling.get(containerId) === all) settling.delete(containerId);
  });
  settling.set(containerId, all);
  return all;
}

/** Counts a counted request toward this isolate's rate of the container, which sizes its block. */
export function countRequest(state: Known, now: number): void {
  const second = Math.floor(now / 1000);
  if (state.second === second) {
    state.count += 1;
    return;
  }
  state.previous = state.second === second - 1 ? state.count : 0;
  state.second = second;
  state.count = 1;
}
