/**
 * IP addresses and CIDR ranges as the power-ups read them (docs/power-ups.md), parsed by
 * ipaddr.js (no hand-written address math). Shared: the EdgeConfig schema validates
 * `power_ups.blocked_ips` with it, the edge matches visitors against it.
 */
import ipaddr from "ipaddr.js";

export type IpAddress = ipaddr.IPv4 | ipaddr.IPv6;
export type IpRange = [IpAddress, number];

/** Only plain notations: dotted-quad IPv4, IPv6 without a zone; never `0x7f.1` or `127.1`. */
const PLAIN_RE = /^[0-9A-Fa-f:.]{2,45}(?:\/[0-9]{1,3})?$/;

/** An address or CIDR range in plain notation; an address is its own /32 or /128. Null when not one. */
export function parseIpRange(text: string): IpRange | null {
  if (!PLAIN_RE.test(text)) return null;
  const [address, prefix] = text.split("/");
  if (prefix !== undefined && !/^(?:0|[1-9][0-9]{0,2})$/.test(prefix)) return null;
  if (ipaddr.IPv4.isValidFourPartDecimal(address!)) {
    return prefix === undefined ? [ipaddr.IPv4.parse(address!), 32] : cidr(ipaddr.IPv4.isValidCIDRFourPartDecimal(text), text);
  }
  if (ipaddr.IPv6.isValid(address!)) {
    return prefix === undefined ? [ipaddr.IPv6.parse(address!), 128] : cidr(ipaddr.IPv6.isValidCIDR(text), text);
  }
  return null;
}

function cidr(valid: boolean, text: string): IpRange | null {
  return valid ? ipaddr.parseCIDR(text) : null;
}

/** A visitor's address (CF-Connecting-IP, or what the site's proxy vouched for); IPv4-mapped IPv6 read as IPv4. */
export function parseIpAddress(text: string | null | undefined): IpAddress | null {
  if (!text || !PLAIN_RE.test(text) || text.includes("/")) return null;
  if (!ipaddr.IPv4.isValidFourPartDecimal(text) && !ipaddr.IPv6.isValid(text)) return null;
  return ipaddr.process(text);
}

/** Whether the address lies in the range; an IPv4 range never matches an IPv6 address and back. */
export function inRange(address: IpAddress, range: IpRange): boolean {
  return address.kind() === range[0].kind() && address.match(range);
}
