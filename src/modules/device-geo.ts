/**
 * Device and geo headers for the origin (docs/power-ups.md): the parsed device as
 * X-Device-Type, X-Device-OS, X-Device-Browser, and the visitor's country and region also
 * under the names Google's tag gateway uses, so sGTM's region-specific settings work
 * unchanged. The edge's own X-Geo-* headers stay as they are.
 */
import type { Device } from "./user-agent";

/** Cloudflare's country (ISO 3166-1 alpha-2, or XX/T1) and region code (the ISO 3166-2 part after the dash). */
export interface GeoCodes {
  country?: string | null;
  regionCode?: string | null;
}

const COUNTRY_RE = /^[A-Z][A-Z0-9]$/;
const REGION_RE = /^[A-Z0-9]{1,3}$/;

export function deviceHeaders(device: Device): Record<string, string> {
  const headers: Record<string, string> = { "X-Device-Type": device.type };
  if (device.os) headers["X-Device-OS"] = device.os;
  if (device.browser) headers["X-Device-Browser"] = device.browser;
  return headers;
}

/** X-Forwarded-Country (US), X-Forwarded-Region (CA), X-Forwarded-CountryRegion (US-CA); each only from a well-formed code. */
export function gatewayGeoHeaders(geo: GeoCodes): Record<string, string> {
  const country = geo.country?.toUpperCase();
  if (!country || !COUNTRY_RE.test(country) || country === "XX") return {};
  const headers: Record<string, string> = { "X-Forwarded-Country": country };
  const region = geo.regionCode?.toUpperCase();
  if (region && REGION_RE.test(region)) {
    headers["X-Forwarded-Region"] = region;
    headers["X-Forwarded-CountryRegion"] = `${country}-${region}`;
  }
  return headers;
}
