import { describe, expect, test } from "vitest";
import { UnsafeLayerEntryError } from "../../../src/layer/errors.js";
import { TreePaths, compareTarPaths, displayPath, parentOf, toByteString } from "../../../src/layer/paths.js";
import { normalizeEntryName } from "../../../src/layer/entry-name.js";

describe("entry names", () => {
  test("usual forms are cleaned to relative paths; the root is the empty path", () => {
    expect(normalizeEntryName("usr/bin/env")).toBe("usr/bin/env");
    expect(normalizeEntryName("./usr/bin/")).toBe("usr/bin");
    expect(normalizeEntryName("usr//lib/./x")).toBe("usr/lib/x");
    expect(normalizeEntryName("a//")).toBe("a");
    expect(normalizeEntryName("a/b/../c")).toBe("a/c");
    expect(normalizeEntryName(".//x")).toBe("x");
    for (const root of ["./", ".", "/", "//", "./.", "a/.."]) expect(normalizeEntryName(root)).toBe("");
    expect(normalizeEntryName("...")).toBe("...");
    expect(normalizeEntryName("..a/b..")).toBe("..a/b..");
  });

  test("escapes, absolute names, NUL bytes and empty names are refused, naming the entry", () => {
    for (const [name, why] of [
      ["../escape", /climbs out of the layer/],
      ["a/../../escape", /climbs out of the layer/],
      ["./..", /climbs out/],
      ["/etc/passwd", /absolute path/],
      ["//etc/passwd", /absolute path/],
      ["ok\0../../x", /NUL byte/],
      ["", /is empty/],
    ] as const) {
      expect(() => normalizeEntryName(name), name).toThrow(UnsafeLayerEntryError);
      expect(() => normalizeEntryName(name), name).toThrow(why);
    }
    expect(() => normalizeEntryName("../x", "hard link target", "h")).toThrow(/^refusing layer entry h: its hard link target climbs out/);
  });

  test("canonical order puts '/' below every other byte, so subtrees follow their directory", () => {
    const names = ["a-c", "a/b", "a", "a.b", "a/b/c", "b", "a/"].map((n) => n.replace(/\/$/, ""));
    expect([...names].sort(compareTarPaths)).toEqual(["a", "a", "a/b", "a/b/c", "a-c", "a.b", "b"]);
    expect(compareTarPaths("\xff", "z")).toBeGreaterThan(0); // byte order, not locale
  });

  test("byte strings keep non-UTF-8 names exactly and show UTF-8 ones readably", () => {
    expect(toByteString("héllo")).toBe(Buffer.from("héllo").toString("latin1"));
    expect(toByteString(Buffer.from([0x61, 0xe9]))).toBe("a\xe9");
    expect(displayPath(toByteString("日本語"))).toBe("日本語");
    expect(displayPath("a\nb")).toBe('"a\\nb"');
    expect(displayPath("")).toBe('""');
    const paths = new TreePaths("/x/dëst");
    expect(paths.fs("a/b")).toBe("/x/dëst/a/b");
    expect(paths.fs("")).toBe("/x/dëst");
    expect(paths.fs("\xe9")).toEqual(Buffer.concat([Buffer.from("/x/dëst/"), Buffer.from([0xe9])]));
    expect(parentOf("a/b/c")).toBe("a/b");
    expect(parentOf("a")).toBe("");
  });
});
