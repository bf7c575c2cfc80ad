/**
 * Admission leases: the fast path for busy containers. When one isolate sends a container
 * more than `minRate` counted requests a second, it asks the object for a block of slots
 * with its next admission. The object counts them at once, durably (never more than half
 * of what is left under the plan limit), and the isolate spends them without a hop for at
 * most LEASE_TTL_MS. Whatever is left when the lease ends goes back to the object.
 *
 * The trade-off, for busy containers only: an operator's pause or a removed host reaches
 * other isolates within the lease's lifetime instead of at once, and an isolate that dies
 * holding slots leaves them counted (never the reverse: no request goes uncounted).
 * Changes made through this isolate end its leases at once. Quiet containers, and the
 * last requests before a plan limit, are decided one by one by the object.
 */
import type { Lease } from "../bindings/protocol";
import { BoundedMap } from "./bounded-map";

export const LEASE_TTL_MS = 500;
const DEFAULT_MIN_RATE = 200;
const MAX_CONTAINERS = 10_000;

export type GiveBack = (lease: Lease) => Promise<unknown>;

interface Held {
  version: number;
  slots: number;
  day: string;
  expires: number;
  giveBack: GiveBack;
}

/** Counted requests per container in this isolate: this second and the one before. */
interface Rate {
  second: number;
  count: number;
  previous: number;
}

const held = new BoundedMap<string, Held>(MAX_CONTAINERS);
const rates = new BoundedMap<string, Rate>(MAX_CONTAINERS);
/** Containers whose lease request is in flight: at most one per container and isolate. */
const asking = new Set<string>();

/** `ADMISSION_LEASE_MIN_RPS`: a number (default 200), or `off` for one decision per request. */
export function leaseMinRate(setting: string | undefined): number | null {
  if (setting === "off") return null;
  const rate = Number(setting);
  return setting && Number.isFinite(rate) && rate > 0 ? rate : DEFAULT_MIN_RATE;
}

/** Counts a request toward the rate; true when a held slot of this config version covers it. */
export function useLeasedSlot(containerId: string, version: number, now: number): boolean {
  countRequest(containerId, now);
  const lease = held.get(containerId);
  if (!lease || lease.expires <= now || lease.version !== version || lease.slots <= 0) return false;
  lease.slots -= 1;
  return true;
}

/** How many slots to ask for with this admission: 0 unless the container is busy here. */
export function slotsToAsk(containerId: string, minRate: number | null): number {
  // useLeasedSlot has counted this request: `previous` is the last full second.
  const lastSecond = rates.get(containerId)?.previous ?? 0;
  if (minRate === null || lastSecond < minRate || asking.has(containerId)) return 0;
  asking.add(containerId);
  return Math.ceil((lastSecond * LEASE_TTL_MS) / 1000);
}

/** The admission that asked has its answer (with or without a lease). */
export function answered(containerId: string): void {
  asking.delete(containerId);
}

/**
 * Holds a granted lease; the previous one, if any, gives its rest back now. `keepAlive`
 * (the granting request's waitUntil) keeps that request alive until the lease has ended
 * and given its rest back. `giveBack` must make its own stub when called: it may run in
 * another request than the one that granted the lease.
 */
export function holdLease(
  containerId: string,
  version: number,
  lease: Lease,
  now: number,
  giveBack: GiveBack,
  keepAlive: (work: Promise<unknown>) => void,
): void {
  keepAlive(endLease(containerId));
  // A lease pushed out of a full map still gives its slots back.
  const evicted = held.evicting(containerId);
  if (evicted !== undefined) keepAlive(endLease(evicted));
  const entry: Held = { version, slots: lease.slots, day: lease.day, expires: now + LEASE_TTL_MS, giveBack };
  held.set(containerId, entry);
  keepAlive(
    new Promise((resolve) => setTimeout(resolve, LEASE_TTL_MS)).then(() => {
      if (held.get(containerId) === entry) return endLease(containerId);
    }),
  );
}

/** Ends this isolate's lease of a container and gives the unused slots back. */
export function endLease(containerId: string): Promise<unknown> {
  const lease = held.get(containerId);
  if (!lease) return Promise.resolve();
  held.delete(containerId);
  const rest = lease.slots;
  lease.slots = 0;
  if (rest <= 0) return Promise.resolve();
  return lease.giveBack({ slots: rest, day: lease.day }).catch((error: unknown) => {
    console.warn(`lease give-back of ${rest} slots for ${containerId} failed: ${String(error)}`);
  });
}

function countRequest(containerId: string, now: number): void {
  const second = Math.floor(now / 1000);
  const rate = rates.get(containerId);
  if (!rate) {
    rates.set(containerId, { second, count: 1, previous: 0 });
    return;
  }
  if (rate.second === second) {
    rate.count += 1;
    return;
  }
  rate.previous = rate.second === second - 1 ? rate.count : 0;
  rate.second = second;
  rate.count = 1;
}
