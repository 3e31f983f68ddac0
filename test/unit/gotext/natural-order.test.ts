import { describe, expect, test } from "vitest";
import { naturalCompare } from "../../../src/gotext/natural-order.js";

describe("natural order (docker port's sort)", () => {
  test("digit runs compare as numbers", () => {
    const lines = ["8443/tcp -> 0.0.0.0:1", "443/tcp -> 0.0.0.0:2", "80/udp -> 0.0.0.0:3", "80/tcp -> 0.0.0.0:4", "9/tcp -> 0.0.0.0:5"];
    expect(lines.sort(naturalCompare)).toEqual(["9/tcp -> 0.0.0.0:5", "80/tcp -> 0.0.0.0:4", "80/udp -> 0.0.0.0:3", "443/tcp -> 0.0.0.0:2", "8443/tcp -> 0.0.0.0:1"]);
  });

  test("equal numbers fall back to the text; a prefix sorts first", () => {
    expect(["a10", "a9", "a", "a09b"].sort(naturalCompare)).toEqual(["a", "a09b", "a9", "a10"]);
  });
});
