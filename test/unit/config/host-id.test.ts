import { describe, expect, test } from "vitest";
import { hostId } from "../../../src/config/paths.js";

describe("the host uid behind a namespace's uid", () => {
  test("skiff's rootless map: 0 is the user, 1.. the subordinate range", () => {
    const map = "         0       1001          1\n         1     100000      65536\n";
    expect(hostId(map, 0)).toBe(1001);
    expect(hostId(map, 1)).toBe(100000);
    expect(hostId(map, 1000)).toBe(100999);
    expect(hostId(map, 65537)).toBe(65537); // not mapped: as it is
  });

  test("the initial namespace maps every id to itself", () => {
    expect(hostId("         0          0 4294967295\n", 1001)).toBe(1001);
    expect(hostId("", 42)).toBe(42);
  });
});
