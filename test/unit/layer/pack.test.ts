import { spawnSync } from "node:child_process";
import { linkSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, utimesSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Readable } from "node:stream";
import { extract } from "tar-stream";
import { afterAll, describe, expect, test } from "vitest";
import { defaultXattrFilter, packDirectory, packLayer } from "../../../src/layer/pack.js";
import { fsAttr } from "../../../src/layer/fsattr.js";

// Packing, read back with tar-stream (an independent parser) and GNU tar.

const dir = mkdtempSync(join(tmpdir(), "skiff-pack-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function bytes(r: Readable): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const c of r) parts.push(c as Buffer);
  return Buffer.concat(parts);
}

interface Item {
  name: string;
  type: string;
  mode: number;
  uid: number;
  linkname: string | null;
  size: number;
  mtime: number;
  pax: Record<string, string> | null;
  data: string;
}

async function entries(tar: Buffer): Promise<Item[]> {
  const ex = extract();
  ex.end(tar);
  const out: Item[] = [];
  for await (const e of ex) {
    const parts: Buffer[] = [];
    for await (const c of e) parts.push(c as Buffer);
    const h = e.header;
    out.push({
      name: h.name,
      type: h.type,
      mode: h.mode,
      uid: h.uid,
      linkname: h.linkname,
      size: h.size,
      mtime: h.mtime.getTime() / 1000,
      pax: (h.pax as Record<string, string> | null) ?? null,
      data: Buffer.concat(parts).toString(),
    });
  }
  return out;
}

function makeTree(root: string): void {
  mkdirSync(join(root, "b/sub"), { recursive: true });
  mkdirSync(join(root, "a-c"));
  writeFileSync(join(root, "a"), "file a");
  writeFileSync(join(root, "b/sub/big"), Buffer.alloc(3 << 20, 0x42));
  writeFileSync(join(root, "b.txt"), "");
  linkSync(join(root, "a"), join(root, "b/hard"));
  symlinkSync("../a", join(root, "b/soft"));
  writeFileSync(join(root, "n".repeat(120)), "long");
  utimesSync(join(root, "a"), 1_600_000_000.9, 1_600_000_000.9);
}

describe("packDirectory", () => {
  const root = join(dir, "tree");
  makeTree(root);

  test("canonical order, every kind, hard links by inode, whole-second mtimes", async () => {
    await fsAttr().setXattr(join(root, "a"), "user.foo", Buffer.from("bar"));
    await fsAttr().setXattr(join(root, "a"), "user.fuseoverlayfs.opaque", Buffer.from("y"));
    const list = await entries(await bytes(packDirectory(root)));
    expect(list.map((e) => `${e.type} ${e.name}`)).toEqual([
      "file a",
      "directory a-c/",
      "directory b/",
      "link b/hard",
      "symlink b/soft",
      "directory b/sub/",
      "file b/sub/big",
      "file b.txt",
      `file ${"n".repeat(120)}`,
    ]);
    const by = new Map(list.map((e) => [e.name, e]));
    expect(by.get("a")).toMatchObject({ data: "file a", mtime: 1_600_000_000, uid: process.getuid!() });
    expect(by.get("a")!.pax).toEqual({ "SCHILY.xattr.user.foo": "bar" }); // overlay bookkeeping left out
    expect(by.get("b/hard")).toMatchObject({ linkname: "a", size: 0 });
    expect(by.get("b/soft")!.linkname).toBe("../a");
    expect(by.get("b/sub/big")!.data).toBe("B".repeat(3 << 20));
    expect(by.get(`${"n".repeat(120)}`)!.data).toBe("long");
  });

  test("two packs of the same tree are the same bytes; GNU tar agrees on the content", async () => {
    const one = await bytes(packDirectory(root));
    const two = await bytes(packDirectory(root));
    expect(one.equals(two)).toBe(true);
    expect(one.length % 512).toBe(0);
    expect(one.subarray(-1024).equals(Buffer.alloc(1024))).toBe(true);
    writeFileSync(join(dir, "one.tar"), one);
    const t = spawnSync("tar", ["-tvf", join(dir, "one.tar")], { encoding: "utf8" });
    expect(t.status).toBe(0);
    expect(t.stdout).toMatch(/^hrw.* b\/hard link to a$/m);
    expect(t.stdout).toMatch(/^lrwxrwxrwx .* b\/soft -> \.\.\/a$/m);
    // uname/gname are left empty: listings show numeric ids.
    expect(t.stdout).toMatch(new RegExp(`^-rw-r--r-- ${process.getuid!()}/${process.getgid!()} +6 .* a$`, "m"));
  });
});

describe("packLayer", () => {
  test("changes in the order given; whiteouts and opaque markers as Docker writes them", async () => {
    const root = join(dir, "upper");
    mkdirSync(join(root, "etc"), { recursive: true });
    writeFileSync(join(root, "etc/new"), "new");
    const tar = await bytes(
      packLayer(root, [
        { kind: "add", path: "etc" },
        { kind: "whiteout", path: "etc/gone" },
        { kind: "add", path: "etc/new" },
        { kind: "opaque", path: "var/cache" },
        { kind: "add", path: "" },
      ]),
    );
    const list = await entries(tar);
    expect(list.map((e) => [e.type, e.name, e.mode, e.uid, e.size, e.mtime])).toEqual([
      ["directory", "etc/", list[0]!.mode, process.getuid!(), 0, list[0]!.mtime],
      ["file", "etc/.wh.gone", 0, 0, 0, 0],
      ["file", "etc/new", list[2]!.mode, process.getuid!(), 3, list[2]!.mtime],
      ["file", "var/cache/.wh..wh..opq", 0, 0, 0, 0],
    ]);
  });

  test("a file that vanished is a clear error", async () => {
    const root = join(dir, "vanish");
    mkdirSync(root);
    await expect(bytes(packLayer(root, [{ kind: "add", path: "nope" }]))).rejects.toThrow(/lstat .*vanish\/nope/);
  });

  test("the default xattr filter keeps user.* and file capabilities only", () => {
    expect(["user.foo", "security.capability", "security.selinux", "trusted.overlay.opaque", "user.fuseoverlayfs.origin", "user.overlay.x", "system.posix_acl_access"].filter(defaultXattrFilter)).toEqual([
      "user.foo",
      "security.capability",
    ]);
  });
});
