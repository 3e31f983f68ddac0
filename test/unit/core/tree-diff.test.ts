import { beforeAll, describe, expect, it } from "vitest";
import { diffTreesReference } from "../../../src/core/diff-reference.js";
import { type TreeEntry, sortEntries } from "../../../src/core/entries.js";
import { diffTrees } from "../../../src/core/tree-diff.js";
import { ensureCoreWasm, mutateTree, randomTree, seeded } from "./fixtures.js";

beforeAll(() => ensureCoreWasm());

const dir = (path: string, extra: Partial<TreeEntry> = {}): TreeEntry =>
  ({ path, type: "dir", mode: 0o755, uid: 0, gid: 0, size: 4096, mtime: 1, ...extra });
const file = (path: string, extra: Partial<TreeEntry> = {}): TreeEntry =>
  ({ path, type: "file", mode: 0o644, uid: 0, gid: 0, size: 10, mtime: 1, ...extra });
const summary = (changes: { kind: string; path: string; whiteout?: string }[]) =>
  changes.map((c) => `${c.kind} ${c.whiteout ?? c.path}`);

describe("tree diff", () => {
  const older = sortEntries([
    dir("etc"), file("etc/passwd"), file("etc/group"), dir("etc/ssl"), file("etc/ssl/a"), file("etc/ssl/b"),
    dir("usr"), dir("usr/bin"), file("usr/bin/sh"), dir("var"), file("var/x"), file("tmp-file"),
  ]);

  it("reports A, C and D in layer order: parents first, whiteouts before siblings, one D per deleted subtree", () => {
    const newer = sortEntries([
      dir("etc"), file("etc/passwd", { size: 11 }), file("etc/group"), dir("etc/new"), file("etc/new/f"),
      dir("usr"), dir("usr/bin"), file("usr/bin/sh"), dir("var", { mtime: 2 }), file("var/x"), file("tmp-file"),
    ]);
    expect(summary(diffTrees(older, newer))).toEqual([
      "C etc", "D etc/.wh.ssl", "A etc/new", "A etc/new/f", "C etc/passwd", "C var",
    ]);
    expect(summary(diffTrees(older, newer, { parents: false }))).toEqual([
      "D etc/.wh.ssl", "A etc/new", "A etc/new/f", "C etc/passwd", "C var",
    ]);
  });

  it("treats a type change as one C, dropping a replaced directory's contents", () => {
    const newer = sortEntries([
      dir("etc"), file("etc/passwd"), file("etc/group"), file("etc/ssl"),
      dir("usr"), dir("usr/bin"), file("usr/bin/sh"), dir("var"), file("var/x"), dir("tmp-file"), file("tmp-file/in"),
    ]);
    expect(summary(diffTrees(older, newer))).toEqual(["C etc", "C etc/ssl", "C tmp-file", "A tmp-file/in"]);
  });

  it("compares mode, owner, mtime, size, link target, device and digest (when both have one)", () => {
    const base = file("f", { digest: "sha256:1", linkTarget: undefined });
    const cases: [Partial<TreeEntry>, boolean][] = [
      [{ mode: 0o600 }, true], [{ uid: 5 }, true], [{ gid: 5 }, true], [{ mtime: 9 }, true], [{ size: 11 }, true],
      [{ digest: "sha256:2" }, true], [{ digest: undefined }, false], [{ type: "symlink", linkTarget: "x" }, true],
      [{ rdevMinor: 1 }, true], [{}, false],
    ];
    for (const [change, differs] of cases)
      expect(diffTrees([base], [{ ...base, ...change }]).length, JSON.stringify(change)).toBe(differs ? 1 : 0);
    // A directory's size is bookkeeping; its mtime is not.
    expect(diffTrees([dir("d")], [dir("d", { size: 8192 })])).toEqual([]);
    expect(summary(diffTrees([dir("d")], [dir("d", { mtime: 5 })]))).toEqual(["C d"]);
  });

  it("handles empty sides", () => {
    expect(summary(diffTrees([], [dir("a"), file("a/b")]))).toEqual(["A a", "A a/b"]);
    expect(summary(diffTrees([dir("a"), file("a/b")], []))).toEqual(["D .wh.a"]);
    expect(diffTrees([], [])).toEqual([]);
  });

  it("refuses lists that are not in tree order", () => {
    expect(() => diffTrees([file("b"), file("a")], [])).toThrow(/tree order.*"a"/);
    expect(() => diffTrees([], [file("a"), file("a")])).toThrow(/tree order/);
    expect(() => diffTrees([], [file("a-b"), file("a/b")])).toThrow(/tree order/);
  });

  it("packs long and non-ASCII paths, growing memory in the middle of a batch", () => {
    const long = (i: number) => `d/${"é😀x".repeat(300 + i)}${i}`;
    const older = sortEntries([dir("d"), ...Array.from({ length: 300 }, (_, i) => file(long(i), { linkTarget: "ü".repeat(500) }))]);
    const newer = older.map((e, i) => (i % 7 === 1 ? { ...e, linkTarget: "ü".repeat(499) } : e));
    expect(summary(diffTrees(older, newer))).toEqual(summary(diffTreesReference(older, newer)));
    expect(diffTrees(older, newer).filter((c) => c.kind === "C").length).toBe(1 + 43);
  });

  it("matches the TypeScript reference on random trees", () => {
    for (let seed = 1; seed <= 60; seed++) {
      const r = seeded(seed);
      const older = randomTree(r, 1 + Math.floor(r() * 600));
      const newer = mutateTree(r, older, 0.02 + r() * 0.2);
      for (const parents of [true, false]) {
        const want = diffTreesReference(older, newer, { parents });
        const got = diffTrees(older, newer, { parents });
        expect(summary(got), `seed ${seed}`).toEqual(summary(want));
        expect(got.map((c) => c.entry)).toEqual(want.map((c) => c.entry));
      }
    }
  });
});
