import { describe, expect, test } from "vitest";
import { effectiveHealthcheck, healthFromFlags, mergeHealthcheck, validateHealthcheck } from "../../../src/container/health.js";
import type { ContainerRecord } from "../../../src/container/record.js";

// The healthcheck as the docker CLI reads its flags and the daemon merges
// and checks it, and what the monitor is then told to run.

const record = (Healthcheck: ContainerRecord["Config"]["Healthcheck"], Shell?: string[]) => ({ Config: { Healthcheck, Shell } }) as unknown as ContainerRecord;

describe("healthcheck configuration", () => {
  test("flags: a command is CMD-SHELL, durations are Go's, zero means unset", () => {
    expect(healthFromFlags({})).toBeUndefined();
    expect(healthFromFlags({ interval: "0s", cmd: "" })).toBeUndefined();
    expect(healthFromFlags({ cmd: "curl -f localhost", interval: "1m30s", timeout: "500ms", retries: "4", startPeriod: "2s", startInterval: "100ms" })).toEqual({
      Test: ["CMD-SHELL", "curl -f localhost"],
      Interval: 90e9,
      Timeout: 500e6,
      StartPeriod: 2e9,
      StartInterval: 100e6,
      Retries: 4,
    });
    expect(healthFromFlags({ timeout: "5s" })).toEqual({ Timeout: 5e9 });
    expect(healthFromFlags({ noHealthcheck: true })).toEqual({ Test: ["NONE"] });
  });

  test("flags: Docker's errors", () => {
    expect(() => healthFromFlags({ noHealthcheck: true, retries: "2" })).toThrow("--no-healthcheck conflicts with --health-* options");
    expect(() => healthFromFlags({ interval: "-1s" })).toThrow("--health-interval cannot be negative");
    expect(() => healthFromFlags({ retries: "-1" })).toThrow("--health-retries cannot be negative");
    expect(() => healthFromFlags({ startPeriod: "5" })).toThrow('invalid argument "5" for "--health-start-period" flag: time: missing unit in duration "5"');
    expect(() => validateHealthcheck({ Timeout: 999_999 })).toThrow("Timeout in Healthcheck cannot be less than 1ms");
    expect(() => validateHealthcheck({ Timeout: 1_000_000, Interval: 0 })).not.toThrow();
  });

  test("the image's healthcheck fills what the request leaves unset", () => {
    const image = { Test: ["CMD", "check"], Interval: 5e9, Retries: 2 };
    expect(mergeHealthcheck(undefined, image)).toEqual(image);
    expect(mergeHealthcheck({ Timeout: 1e9 }, image)).toEqual({ Test: ["CMD", "check"], Interval: 5e9, Timeout: 1e9, Retries: 2 });
    expect(mergeHealthcheck({ Test: ["CMD-SHELL", "x"], Retries: 7 }, image)).toEqual({ Test: ["CMD-SHELL", "x"], Interval: 5e9, Retries: 7 });
    expect(mergeHealthcheck({ Test: ["NONE"] }, undefined)).toEqual({ Test: ["NONE"] });
    expect(mergeHealthcheck(undefined, undefined)).toBeUndefined();
  });

  test("what runs: Docker's defaults, the image's SHELL for CMD-SHELL, nothing for NONE", () => {
    expect(effectiveHealthcheck(record({ Test: ["CMD-SHELL", "true"] }))).toEqual({ argv: ["/bin/sh", "-c", "true"], interval: 30e9, timeout: 30e9, startPeriod: 0, startInterval: 5e9, retries: 3 });
    expect(effectiveHealthcheck(record({ Test: ["CMD-SHELL", "true"] }, ["/bin/ash", "-eo", "pipefail", "-c"]))!.argv).toEqual(["/bin/ash", "-eo", "pipefail", "-c", "true"]);
    expect(effectiveHealthcheck(record({ Test: ["CMD", "/bin/check", "-v"], Retries: 1, Interval: 1e8 }))).toMatchObject({ argv: ["/bin/check", "-v"], retries: 1, interval: 1e8 });
    expect(effectiveHealthcheck(record({ Test: ["NONE"] }))).toBeUndefined();
    expect(effectiveHealthcheck(record({ Interval: 1e9 }))).toBeUndefined();
    expect(effectiveHealthcheck(record(undefined))).toBeUndefined();
  });
});
