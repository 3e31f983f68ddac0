import { describe, expect, test } from "vitest";
import { parseTimestamp, parseUnixTimestamp } from "../../../src/events/time.js";

// --since/--until values, in the docker CLI's rules.

describe("event times", () => {
  const now = new Date("2024-05-01T12:00:00.500Z");

  test("Unix seconds with an optional fraction, the API's form", () => {
    expect(parseUnixTimestamp("1700000000")).toBe(1_700_000_000_000_000_000n);
    expect(parseUnixTimestamp("1700000000.5")).toBe(1_700_000_000_500_000_000n);
    expect(parseUnixTimestamp("1700000000.000000001")).toBe(1_700_000_000_000_000_001n);
    expect(parseTimestamp("1700000000.25", now)).toBe(1_700_000_000_250_000_000n);
    expect(() => parseUnixTimestamp("soon")).toThrow('failed to parse value as time or duration: "soon"');
  });

  test("a Go duration counts back from now, in whole seconds as the CLI sends it", () => {
    expect(parseTimestamp("10m", now)).toBe(BigInt(Date.parse("2024-05-01T11:50:00Z") / 1000) * 1_000_000_000n);
    expect(parseTimestamp("1h30m", now)).toBe(BigInt(Date.parse("2024-05-01T10:30:00Z") / 1000) * 1_000_000_000n);
    expect(parseTimestamp("0", now)).toBe(0n);
  });

  test("RFC 3339 times with a zone, to the nanosecond", () => {
    expect(parseTimestamp("2024-05-01T10:00:00Z", now)).toBe(BigInt(Date.parse("2024-05-01T10:00:00Z")) * 1_000_000n);
    expect(parseTimestamp("2024-05-01T10:00:00.123456789Z", now)).toBe(BigInt(Date.parse("2024-05-01T10:00:00Z")) * 1_000_000n + 123_456_789n);
    expect(parseTimestamp("2024-05-01T12:00:00+02:00", now)).toBe(BigInt(Date.parse("2024-05-01T10:00:00Z")) * 1_000_000n);
    expect(parseTimestamp("2024-05-01T10:00Z", now)).toBe(BigInt(Date.parse("2024-05-01T10:00:00Z")) * 1_000_000n);
  });

  test("without a zone, the local offset of now", () => {
    const offsetMs = -now.getTimezoneOffset() * 60_000;
    expect(parseTimestamp("2024-05-01", now)).toBe(BigInt(Date.parse("2024-05-01T00:00:00Z") - offsetMs) * 1_000_000n);
    expect(parseTimestamp("2024-05-01T10:00:00", now)).toBe(BigInt(Date.parse("2024-05-01T10:00:00Z") - offsetMs) * 1_000_000n);
  });

  test("bad dates are refused with the value named", () => {
    expect(() => parseTimestamp("2024-13-01", now)).toThrow('parsing time "2024-13-01"');
    expect(() => parseTimestamp("yesterday", now)).toThrow('"yesterday"');
  });
});
