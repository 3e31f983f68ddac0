import { describe, expect, it } from "vitest";
import { comparePaths, opaqueMarkerPath, sortEntries, whiteoutPath } from "../../../src/core/entries.js";
import { randomName, seeded } from "./fixtures.js";

// Tree order by definition: UTF-8 bytes with "/" mapped below everything.
function byBytes(a: string, b: string): number {
  const map = (s: string) => Buffer.from(s, "utf8").map((c) => (c === 0x2f ? 0 : c));
  return Math.sign(Buffer.compare(map(a), map(b)));
}

describe("tree order", () => {
  it("puts a directory's descendants right after it", () => {
    const paths = ["a-c", "a/b", "a", "ab", "a/b/c", "a.b", "a/-", "b"];
    expect(sortEntries(paths.map((path) => ({ path }))).map((e) => e.path)).toEqual([
      "a", "a/-", "a/b", "a/b/c", "a-c", "a.b", "ab", "b",
    ]);
  });

  it("agrees with UTF-8 byte order for any strings", () => {
    const r = seeded(7);
    for (let k = 0; k < 20000; k++) {
      const a = Array.from({ length: 1 + Math.floor(r() * 3) }, () => randomName(r)).join("/");
      const b = r() < 0.3 ? a + "/" + randomName(r) : Array.from({ length: 1 + Math.floor(r() * 3) }, () => randomName(r)).join("/");
      expect(Math.sign(comparePaths(a, b)), `${a} vs ${b}`).toBe(byBytes(a, b));
      expect(Math.sign(comparePaths(b, a))).toBe(byBytes(b, a));
    }
    // Code points above U+FFFF sort after U+E000–U+FFFF in UTF-8 though not in UTF-16.
    expect(comparePaths("\u{10000}", "\uffff")).toBeGreaterThan(0);
    expect(comparePaths("\ue000", "\ud7ff")).toBeGreaterThan(0);
  });

  it("names whiteouts and opaque markers as OCI does", () => {
    expect(whiteoutPath("a/b/c")).toBe("a/b/.wh.c");
    expect(whiteoutPath("top")).toBe(".wh.top");
    expect(opaqueMarkerPath("a/b")).toBe("a/b/.wh..wh..opq");
    expect(opaqueMarkerPath("")).toBe(".wh..wh..opq");
  });
});
