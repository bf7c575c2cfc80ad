/**
 * Anonymizer (docs/power-ups.md): the origin gets the visitor's network, not the visitor —
 * IPv4 truncated to its /24, IPv6 to its /48 (ipaddr.js computes the network address) — and a
 * user agent reduced to OS family and browser major version in the frozen form browsers
 * themselves send under UA reduction, with the high-entropy client hints removed. Either
 * always, or only on hits that deny analytics storage.
 */
import ipaddr from "ipaddr.js";
import { parseIpAddress } from "../shared/ip-range";
import type { Consent } from "./consent";
import type { Device } from "./user-agent";

export type AnonymizerMode = "off" | "always" | "consent";

export const IPV4_PREFIX = 24;
export const IPV6_PREFIX = 48;

/** Client hints that single a device out (model, exact versions, architecture): never sent on when anonymizing. */
export const HIGH_ENTROPY_HINTS: readonly string[] = [
  "sec-ch-ua-arch",
  "sec-ch-ua-bitness",
  "sec-ch-ua-form-factors",
  "sec-ch-ua-full-version",
  "sec-ch-ua-full-version-list",
  "sec-ch-ua-model",
  "sec-ch-ua-platform-version",
  "sec-ch-ua-wow64",
];

/** `consent` is read only in consent mode (it parses the hit). */
export function shouldAnonymize(mode: AnonymizerMode, consent: () => Consent): boolean {
  return mode === "always" || (mode === "consent" && consent().analytics === false);
}

/** The address's network (`203.0.113.0`, `2001:db8:1::`), or null when it is no address. */
export function truncateIp(ip: string | null | undefined): string | null {
  const address = parseIpAddress(ip);
  if (!address) return null;
  return address.kind() === "ipv4"
    ? ipaddr.IPv4.networkAddressFromCIDR(`${address.toString()}/${IPV4_PREFIX}`).toString()
    : ipaddr.IPv6.networkAddressFromCIDR(`${address.toString()}/${IPV6_PREFIX}`).toString();
}

const PLATFORMS: Readonly<Record<string, { desktop: string; mobile?: string; tablet?: string }>> = {
  Windows: { desktop: "Windows NT 10.0; Win64; x64" },
  macOS: { desktop: "Macintosh; Intel Mac OS X 10_15_7" },
  Linux: { desktop: "X11; Linux x86_64" },
  "Chrome OS": { desktop: "X11; CrOS x86_64 14541.0.0" },
  Android: { desktop: "Linux; Android 10; K", mobile: "Linux; Android 10; K", tablet: "Linux; Android 10; K" },
  iOS: { desktop: "iPhone; CPU iPhone OS 18_6 like Mac OS X", mobile: "iPhone; CPU iPhone OS 18_6 like Mac OS X", tablet: "iPad; CPU OS 18_6 like Mac OS X" },
};
const CHROMIUM_EXTRA: Readonly<Record<string, (major: string) => string>> = {
  Chrome: () => "",
  Chromium: () => "",
  Edge: (major) => ` Edg/${major}.0.0.0`,
  Opera: (major) => ` OPR/${major}.0.0.0`,
  "Samsung Internet": () => "",
};

/**
 * Mozilla/5.0 with a frozen platform for the OS family and the browser's frozen tokens with
 * its major version; nothing else of the original (model, build, minor versions) survives.
 */
export function reducedUserAgent(device: Device): string {
  const form = device.type === "mobile" || device.type === "tablet" ? device.type : "desktop";
  const platforms = device.os ? PLATFORMS[device.os] : undefined;
  const platform = platforms ? ` (${platforms[form] ?? platforms.desktop})` : "";
  const major = device.browserMajor ?? "0";
  const mobile = form === "mobile";
  const browser = device.browser ?? "";
  if (browser in CHROMIUM_EXTRA) {
    const samsung = browser === "Samsung Internet" ? ` SamsungBrowser/${major}.0` : "";
    // Edge's major is its Chromium's; Opera's and Samsung Internet's are their own, so their Chrome token says 0.
    const chromeMajor = browser === "Opera" || browser === "Samsung Internet" ? "0" : major;
    return `Mozilla/5.0${platform} AppleWebKit/537.36 (KHTML, like Gecko)${samsung} Chrome/${chromeMajor}.0.0.0 ${mobile ? "Mobile " : ""}Safari/537.36${CHROMIUM_EXTRA[browser]!(major)}`;
  }
  if (browser === "Firefox" || browser === "Mobile Firefox") {
    return `Mozilla/5.0${platform} Gecko/20100101 Firefox/${major}.0`;
  }
  if (browser === "Safari" || browser === "Mobile Safari") {
    return `Mozilla/5.0${platform} AppleWebKit/605.1.15 (KHTML, like Gecko) Version/${major}.0 ${mobile || form === "tablet" ? "Mobile/15E148 " : ""}Safari/605.1.15`;
  }
  return `Mozilla/5.0${platform}`;
}
