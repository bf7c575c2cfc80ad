/** Session detections already handed to their object through this isolate: a repeat costs no object call. */
import { BoundedMap } from "./bounded-map";

const MAX_SEEN_SESSIONS = 100_000;
const seen = new BoundedMap<string, true>(MAX_SEEN_SESSIONS);

export function sessionSeen(loaderToken: string, sessionId: string): boolean {
  return seen.has(`${loaderToken}:${sessionId}`);
}

export function markSessionSeen(loaderToken: string, sessionId: string): void {
  seen.set(`${loaderToken}:${sessionId}`, true);
}
