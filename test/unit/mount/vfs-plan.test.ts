import { describe, expect, it } from "vitest";
import type { EntryType, PathEntry } from "../../../src/core/entries.js";
import { planVfsCopy } from "../../../src/mount/vfs.js";

// What the vfs driver removes from the copy before each layer goes in
// (image-spec layer.md, "Applying Changesets"), decided by the WASM core.

const e = (path: string, type: EntryType = "file"): PathEntry => ({ path, type });
const dir = (path: string) => e(path, "dir");

describe("planVfsCopy", () => {
  it("removes nothing from an empty tree, and nothing when a layer only adds or merges directories", () => {
    expect(planVfsCopy([[dir("bin"), e("bin/sh")], [dir("bin"), e("bin/ls"), dir("etc")]])).toEqual([[], []]);
  });

  it("removes what a whiteout names (with what is below it) and the whole contents of an opaque directory", () => {
    const base = [dir("a"), e("a/keep"), e("a/gone"), dir("a/sub"), e("a/sub/x"), dir("o"), e("o/old"), dir("o/d"), e("o/d/y")];
    const top = [dir("a"), e("a/.wh.gone"), e("a/.wh.sub"), dir("o"), e("o/.wh..wh..opq"), e("o/new")];
    expect(planVfsCopy([base, top])).toEqual([[], ["a/gone", "a/sub", "o/d", "o/old"]]);
  });

  it("removes an entry a layer replaces, unless both are directories; a whiteout never hides its own layer's files", () => {
    const base = [e("f"), dir("d"), e("d/x"), e("link", "symlink"), dir("keep")];
    const top = [dir("f"), e("f/inside"), e("d"), e("link"), dir("keep"), e("keep/.wh.y"), e("keep/y")];
    expect(planVfsCopy([base, top])).toEqual([[], ["d", "f", "link"]]);
  });

  it("plans each layer against the tree the layers below it made", () => {
    const l1 = [dir("x"), e("x/1")];
    const l2 = [e(".wh.x")];
    const l3 = [dir("x"), e("x/2")];
    const l4 = [dir("x"), e("x/.wh.2")];
    expect(planVfsCopy([l1, l2, l3, l4])).toEqual([[], ["x"], [], ["x/2"]]);
  });
});
