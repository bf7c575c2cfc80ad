/**
 * Session detections already stored through this isolate: a repeat costs no object call,
 * but takes no shortcut around the rules (section 8): it is answered here only while this
 * isolate's config of the container still has the request host and the module on.
 */
import { BoundedMap } from "./bounded-map";
import { preparedConfig, type PreparedConfig } from "./prepared-config";

const MAX_SEEN_SESSIONS = 100_000;
/** `loader_token:session_id` -> the container that stored it. */
const seen = new BoundedMap<string, string>(MAX_SEEN_SESSIONS);

/** The prepared config to answer a repeat with, or null when the request must be admitted. */
export function repeatOfStoredSession(loaderToken: string, sessionId: string, host: string): PreparedConfig | null {
  const containerId = seen.get(`${loaderToken}:${sessionId}`);
  const prepared = containerId === undefined ? undefined : preparedConfig(containerId);
  if (!prepared || prepared.config.loader_token !== loaderToken) return null;
  return prepared.hosts.has(host) && prepared.config.modules.adblock_itp_detection ? prepared : null;
}

export function markSessionStored(loaderToken: string, sessionId: string, containerId: string): void {
  seen.set(`${loaderToken}:${sessionId}`, containerId);
}
