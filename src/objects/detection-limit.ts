/**
 * New session detections a container accepts per minute (docs/security.md, "Detections").
 * Each one becomes a row of the control plane's loader_sessions, so a flood of made-up
 * session ids from one page is refused (429 rate_limited) instead of filling the outbox
 * and the database. A repeat of a known session is not new and always answers 202.
 */
export const DETECTION_SESSIONS_PER_MINUTE = 1_000;
const WINDOW_MS = 60_000;

/** A fixed one-minute window in the object's memory: a restarted object starts a new one. */
export class DetectionLimit {
  private windowStart = -Infinity;
  private taken = 0;

  constructor(private readonly max = DETECTION_SESSIONS_PER_MINUTE) {}

  /** Whether one more new session fits in the window of `now`. */
  hasRoom(now: number): boolean {
    this.roll(now);
    return this.taken < this.max;
  }

  take(now: number): void {
    this.roll(now);
    this.taken += 1;
  }

  private roll(now: number): void {
    if (now - this.windowStart < WINDOW_MS) return;
    this.windowStart = now;
    this.taken = 0;
  }
}
