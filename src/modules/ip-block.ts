/**
 * Blocked IPs (docs/power-ups.md): a container's internal traffic, up to 100 addresses or
 * CIDR ranges, answered 403 before the origin and never counted. Ranges are parsed once per
 * config version; matching is ipaddr.js's.
 */
import { inRange, parseIpAddress, parseIpRange, type IpRange } from "../shared/ip-range";

export type BlockList = readonly IpRange[];

/** The schema accepted every entry; one that does not parse would block nothing. */
export function compileBlockList(entries: readonly string[]): BlockList {
  return entries.map(parseIpRange).filter((range): range is IpRange => range !== null);
}

/** Whether the visitor's address lies in a blocked range; an address that does not parse is not blocked. */
export function isBlocked(visitorIp: string | null | undefined, list: BlockList): boolean {
  if (list.length === 0) return false;
  const address = parseIpAddress(visitorIp);
  return address !== null && list.some((range) => inRange(address, range));
}
