import { beforeAll, describe, expect, it } from "vitest";
import { type EntryType, type PathEntry, type UpperEntry, sortEntries } from "../../../src/core/entries.js";
import { applyLayer, classifyUpper, flattenLayers } from "../../../src/core/whiteout.js";
import { applyLayerReference, classifyUpperReference } from "../../../src/core/whiteout-reference.js";
import { ensureCoreWasm, joinPath, pick, randomName, seeded } from "./fixtures.js";

beforeAll(() => ensureCoreWasm());

const d = (path: string, opaque = false): UpperEntry => ({ path, type: "dir", opaque });
const f = (path: string): UpperEntry => ({ path, type: "file" });
const wh = (path: string): UpperEntry => ({ path, type: "char", rdevMajor: 0, rdevMinor: 0 });
const members = (entries: UpperEntry[]) =>
  classifyUpper(sortEntries(entries)).members.map((m) => (m.entry ? m.path : `(${m.path})`));

describe("classifyUpper: fuse-overlayfs upper dir -> OCI layer", () => {
  it("turns char-device 0:0 whiteouts into .wh. files, placed before their siblings", () => {
    expect(members([d("etc"), wh("etc/motd"), f("etc/hosts"), d("etc/a"), wh("zz")])).toEqual([
      "(.wh.zz)", "etc", "(etc/.wh.motd)", "etc/a", "etc/hosts",
    ]);
  });

  it("keeps .wh. files written when mknod was refused, and drops what is below a whiteout", () => {
    expect(members([d("etc"), f("etc/.wh.motd"), d("etc/.wh.dir"), f("etc/.wh.dir/x"), f("etc/-a")])).toEqual([
      "etc", "(etc/.wh.dir)", "(etc/.wh.motd)", "etc/-a",
    ]);
  });

  it("makes a directory opaque from its xattr or its .wh..wh..opq file, once, without redundant whiteouts", () => {
    const entries = sortEntries([
      d("a", true), f("a/.wh..wh..opq"), wh("a/gone"), f("a/new"),
      d("b"), f("b/.wh..wh..opq"), f("b/.wh.old"), d("b/c"),
      d("c", true), f("c/x"),
      { path: "dev", type: "dir" }, { path: "dev/null", type: "char", rdevMajor: 1, rdevMinor: 3 },
    ] as UpperEntry[]);
    const layer = classifyUpper(entries);
    expect(layer.members.map((m) => (m.entry ? m.path : `(${m.path})`))).toEqual([
      "a", "(a/.wh..wh..opq)", "a/new",
      "b", "(b/.wh..wh..opq)", "b/c",
      "c", "(c/.wh..wh..opq)", "c/x",
      "dev", "dev/null",
    ]);
    expect(Object.fromEntries(entries.map((e, i) => [e.path, layer.classes[i]]))).toEqual({
      a: "opaque", "a/.wh..wh..opq": "skip", "a/gone": "skip", "a/new": "keep",
      b: "opaque", "b/.wh..wh..opq": "skip", "b/.wh.old": "skip", "b/c": "keep",
      c: "opaque", "c/x": "keep", dev: "keep", "dev/null": "keep",
    });
    expect(members([f(".wh..wh..opq"), f("x")])).toEqual(["(.wh..wh..opq)", "x"]);
  });

  // Upper dirs as fuse-overlayfs 1.10 left them, unprivileged in a user
  // namespace, after: rm d/a; rm -rf e; mkdir e; touch e/new; rm -rf f
  // (lower: d/{a,b}, e/{x,sub/y}, f/z) — with mknod allowed, and refused.
  it("translates real fuse-overlayfs upper dirs", () => {
    const want = ["(.wh.f)", "d", "(d/.wh.a)", "e", "(e/.wh..wh..opq)", "e/new"];
    expect(members([
      d("d"), wh("d/a"), d("e", true), wh("e/.wh..opq"), f("e/.wh..wh..opq"), f("e/new"), wh("f"),
    ])).toEqual(want);
    expect(members([d("d"), f("d/.wh.a"), d("e", true), f("e/.wh..wh..opq"), f("e/new"), f(".wh.f")])).toEqual(want);
    // The bookkeeping device is dropped wherever it is.
    expect(members([d("x"), wh("x/.wh..opq"), f("x/y")])).toEqual(["x", "x/y"]);
  });

  it("refuses entries out of tree order", () => {
    expect(() => classifyUpper([f("b"), f("a")])).toThrow(/tree order/);
  });

  it("matches the TypeScript reference on random upper dirs", () => {
    for (let seed = 1; seed <= 80; seed++) {
      const r = seeded(seed);
      const entries = randomUpper(r, 1 + Math.floor(r() * 400));
      const want = classifyUpperReference(entries);
      const got = classifyUpper(entries);
      expect(got.classes, `seed ${seed}`).toEqual(want.classes);
      expect(got.members, `seed ${seed}`).toEqual(want.members);
    }
  });
});

const p = (path: string, type: EntryType = "file"): PathEntry => ({ path, type });
const paths = (entries: readonly PathEntry[], idx: Iterable<number>) => [...idx].map((i) => entries[i].path);

describe("applyLayer: OCI layer over a plain tree", () => {
  const base = sortEntries([p("a", "dir"), p("a/b", "dir"), p("a/b/c", "dir"), p("a/b/c/bar"), p("etc", "dir"), p("etc/x"), p("etc/y"), p("lnk", "symlink")]);

  it("follows image-spec layer.md: an opaque marker applies wherever it sits in the tar", () => {
    // layer.md, Whiteouts: a/b is deleted and re-created with a/b/c/foo.
    for (const layer of [
      [p("a", "dir"), p("a/.wh..wh..opq"), p("a/b", "dir"), p("a/b/c", "dir"), p("a/b/c/foo")],
      [p("a", "dir"), p("a/b", "dir"), p("a/b/c", "dir"), p("a/b/c/foo"), p("a/.wh..wh..opq")],
    ]) {
      const app = applyLayer(base, layer);
      expect(paths(base, app.deleteRoots)).toEqual(["a/b"]);
      expect(app.existing).toEqual(["keep", "delete", "below", "below", "keep", "keep", "keep", "keep"]);
      expect(paths(layer, app.write)).toEqual(["a", "a/b", "a/b/c", "a/b/c/foo"]);
      const visible = [...app.visible].map((ref) => (ref >= 0 ? base[ref].path : `+${layer[~ref].path}`));
      expect(visible).toEqual(["+a", "+a/b", "+a/b/c", "+a/b/c/foo", "etc", "etc/x", "etc/y", "lnk"]);
    }
  });

  it("deletes whiteout targets with their contents, never same-layer entries", () => {
    const layer = [p("etc/.wh.x"), p(".wh.a"), p("a", "dir"), p("a/new"), p("etc/.wh.nothing")];
    const app = applyLayer(base, layer);
    expect(paths(base, app.deleteRoots)).toEqual(["a", "etc/x"]);
    expect(app.layer).toEqual(["whiteout", "whiteout", "write", "write", "whiteout"]);
    expect(paths(layer, app.write)).toEqual(["a", "a/new"]);
  });

  it("replaces what an entry lands on unless both are directories; the last duplicate wins", () => {
    const layer = [p("etc", "dir"), p("a/b", "file"), p("lnk", "dir"), p("etc/y"), p("etc/y", "symlink")];
    const app = applyLayer(base, layer);
    expect(paths(base, app.deleteRoots)).toEqual(["a/b", "etc/y", "lnk"]);
    expect(app.layer).toEqual(["write", "write", "write", "superseded", "write"]);
  });

  it("ignores AUFS metadata and markers naming the directory itself", () => {
    const layer = [p(".wh..wh.plnk"), p("etc/.wh."), p("etc/.wh.."), p("etc/.wh..."), p(".wh..wh..opq")];
    const app = applyLayer(base, layer);
    expect(app.layer).toEqual(["ignored", "ignored", "ignored", "ignored", "opaque"]);
    expect(app.deleteRoots).toEqual([0, 4, 7]); // a top-level opaque marker empties the tree
    expect(app.write).toEqual([]);
  });

  it("flattens layers into the visible tree", () => {
    const flat = flattenLayers([
      [p("a", "dir"), p("a/1"), p("a/2"), p("b", "dir"), p("b/x")],
      [p("a/.wh.1"), p("b", "dir"), p("b/.wh..wh..opq"), p("b/y"), p("c")],
      [p(".wh.c"), p("a/2", "symlink")],
    ]);
    expect(flat.map((v) => `${v.layer}:${v.entry.path}:${v.entry.type}`)).toEqual([
      "0:a:dir", "2:a/2:symlink", "1:b:dir", "1:b/y:file",
    ]);
  });

  it("refuses existing entries out of tree order", () => {
    expect(() => applyLayer([p("b"), p("a")], [])).toThrow(/tree order/);
  });

  it("matches the TypeScript reference on random layers", () => {
    for (let seed = 1; seed <= 80; seed++) {
      const r = seeded(seed);
      const existing = randomPaths(r, Math.floor(r() * 300));
      const layer = randomLayer(r, existing, Math.floor(r() * 200));
      const want = applyLayerReference(existing, layer);
      const got = applyLayer(existing, layer);
      expect(got, `seed ${seed}`).toEqual(want);
    }
  });
});

function randomPaths(r: () => number, n: number): PathEntry[] {
  const dirs = [""];
  const seen = new Set<string>();
  const out: PathEntry[] = [];
  while (out.length < n) {
    const path = joinPath(pick(r, dirs), randomName(r));
    if (seen.has(path)) continue;
    seen.add(path);
    const type: EntryType = r() < 0.35 ? "dir" : pick(r, ["file", "symlink"] as EntryType[]);
    if (type === "dir") dirs.push(path);
    out.push({ path, type });
  }
  return sortEntries(out);
}

/** A layer in random tar order: new entries, entries over existing paths, whiteouts, opaque markers, junk markers, duplicates. */
function randomLayer(r: () => number, existing: PathEntry[], n: number): PathEntry[] {
  const dirs = ["", ...existing.filter((e) => e.type === "dir").map((e) => e.path)];
  const out: PathEntry[] = [];
  for (let k = 0; k < n; k++) {
    const x = r();
    const type: EntryType = pick(r, ["dir", "file", "symlink"] as EntryType[]);
    if (x < 0.3 && existing.length) out.push({ path: pick(r, existing).path, type });
    else if (x < 0.5 && existing.length) {
      const target = pick(r, existing).path;
      const slash = target.lastIndexOf("/");
      out.push(p(`${target.slice(0, slash + 1)}.wh.${target.slice(slash + 1)}`));
    } else if (x < 0.55) out.push(p(joinPath(pick(r, dirs), ".wh..wh..opq")));
    else if (x < 0.58) out.push(p(joinPath(pick(r, dirs), pick(r, [".wh.", ".wh..", ".wh...", ".wh..wh.plnk", ".wh.nope"]))));
    else if (x < 0.62 && out.length) out.push({ ...pick(r, out) });
    else out.push({ path: joinPath(pick(r, dirs), randomName(r)), type });
  }
  return out;
}

/** An upper dir with every form fuse-overlayfs leaves, in tree order. */
function randomUpper(r: () => number, n: number): UpperEntry[] {
  const dirs = [""];
  const seen = new Set<string>();
  const out: UpperEntry[] = [];
  while (out.length < n) {
    const parent = pick(r, dirs);
    const x = r();
    let e: UpperEntry;
    if (x < 0.3) e = { path: joinPath(parent, randomName(r)), type: "dir", opaque: r() < 0.15 };
    else if (x < 0.45) e = { path: joinPath(parent, randomName(r)), type: "char", rdevMajor: 0, rdevMinor: 0 };
    else if (x < 0.5) e = { path: joinPath(parent, randomName(r)), type: "char", rdevMajor: 1, rdevMinor: pick(r, [0, 3]) };
    else if (x < 0.58) e = { path: joinPath(parent, ".wh." + randomName(r)), type: r() < 0.2 ? "dir" : "file" };
    else if (x < 0.62) e = { path: joinPath(parent, ".wh..wh..opq"), type: "file" };
    else if (x < 0.64) e = { path: joinPath(parent, ".wh..opq"), type: "char", rdevMajor: 0, rdevMinor: 0 };
    else e = { path: joinPath(parent, randomName(r)), type: pick(r, ["file", "symlink"] as EntryType[]) };
    if (seen.has(e.path)) continue;
    seen.add(e.path);
    if (e.type === "dir") dirs.push(e.path);
    out.push(e);
  }
  return sortEntries(out);
}
