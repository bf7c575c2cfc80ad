/**
 * The fuzz helpers' own model: asHeaderValue must say exactly what workerd's Headers
 * keeps of a value, or the header-parser properties would test impossible inputs (or miss
 * possible ones). Checked on ASCII, where Headers does not warn per value.
 */
import fc from "fast-check";
import { describe, expect } from "vitest";
import { asHeaderValue, headerAscii } from "./arbitraries";
import { fuzz } from "./runs";

describe("fuzz helpers", () => {
  fuzz("asHeaderValue: null exactly when Headers refuses the value, else the value Headers holds", fc.oneof(headerAscii(), fc.string({ unit: "binary-ascii", maxLength: 24 })), (raw) => {
    let held: string | null;
    try {
      held = new Headers([["x-fuzz", raw]]).get("x-fuzz");
    } catch {
      held = null;
    }
    expect(asHeaderValue(raw)).toBe(held);
    return held === null ? "refused" : "accepted";
  });
});
