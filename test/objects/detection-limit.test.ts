import { describe, expect, it } from "vitest";
import { DETECTION_SESSIONS_PER_MINUTE, DetectionLimit } from "../../src/objects/detection-limit";

describe("DetectionLimit", () => {
  it("admits `max` new sessions a minute, then none until the next window", () => {
    const limit = new DetectionLimit(3);
    const start = 1_000_000;
    for (let i = 0; i < 3; i++) {
      expect(limit.hasRoom(start + i)).toBe(true);
      limit.take(start + i);
    }
    expect(limit.hasRoom(start + 59_999)).toBe(false);
    expect(limit.hasRoom(start + 60_000)).toBe(true);
  });

  it("defaults to DETECTION_SESSIONS_PER_MINUTE", () => {
    const limit = new DetectionLimit();
    for (let i = 0; i < DETECTION_SESSIONS_PER_MINUTE; i++) limit.take(5);
    expect(limit.hasRoom(5)).toBe(false);
  });
});
