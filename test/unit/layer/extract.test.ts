import { spawnSync } from "node:child_process";
import { lstatSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, readlinkSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Readable } from "node:stream";
import { afterAll, describe, expect, test } from "vitest";
import { extractLayer, type ExtractOptions } from "../../../src/layer/extract.js";
import { fsAttr } from "../../../src/layer/fsattr.js";
import { END, blocks, paxHeader, paxRecord, rawHeader, tarOf, type TarEntrySpec } from "../../fixtures/hostile-tars.js";

// Extraction in this process, as whoever runs the tests: entries are owned by
// us, so no chown is needed (owners other than ours are the integration
// tests' business, inside the user namespace).

const uid = process.getuid!();
const gid = process.getgid!();
const dir = mkdtempSync(join(tmpdir(), "skiff-extract-"));
afterAll(() => {
  spawnSync("chmod", ["-R", "u+rwx", dir]); // the locked directories
  rmSync(dir, { recursive: true, force: true });
});
let n = 0;

async function run(entries: TarEntrySpec[] | Buffer, opts: ExtractOptions = {}, chunk = 1000) {
  const tar = Buffer.isBuffer(entries) ? entries : await tarOf(entries.map((e) => ({ uid, gid, ...e })));
  const dest = join(dir, `d${n++}`);
  mkdirSync(dest);
  const parts: Buffer[] = [];
  for (let i = 0; i < tar.length; i += chunk) parts.push(tar.subarray(i, i + chunk));
  const result = await extractLayer(Readable.from(parts), dest, opts);
  return { dest, result, at: (p: string) => join(dest, p) };
}

const mode = (f: string) => lstatSync(f).mode & 0o7777;
const mtime = (f: string) => lstatSync(f).mtimeMs / 1000;
const T = new Date(1_500_000_000_000);

describe("extractLayer", () => {
  test("files, directories, symlinks, hard links; modes exact whatever the umask; missing parents made", async () => {
    const { result, at } = await run([
      { name: "etc/", type: "directory", mode: 0o750, mtime: T },
      { name: "etc/passwd", data: "root:x:0:0\n", mode: 0o666, mtime: T },
      { name: "etc/empty", data: "", mode: 0o600 },
      { name: "etc/hard", type: "link", linkname: "etc/passwd" },
      { name: "bin/sh", type: "symlink", linkname: "/bin/busybox", mtime: T },
      { name: "usr/bin/suid", data: "x", mode: 0o4755 },
      { name: "tmp/", type: "directory", mode: 0o1777 },
    ]);
    expect(result).toEqual({ entries: 7, bytes: 12, whiteouts: 0, devicesSkipped: 0 });
    expect(readFileSync(at("etc/passwd"), "utf8")).toBe("root:x:0:0\n");
    expect(mode(at("etc/passwd"))).toBe(0o666);
    expect(mode(at("etc"))).toBe(0o750);
    expect(mtime(at("etc"))).toBe(1_500_000_000); // set after its children were made
    expect(mtime(at("etc/passwd"))).toBe(1_500_000_000);
    expect(lstatSync(at("etc/hard")).ino).toBe(lstatSync(at("etc/passwd")).ino);
    expect(readlinkSync(at("bin/sh"))).toBe("/bin/busybox");
    expect(mtime(at("bin/sh"))).toBe(1_500_000_000); // lutimes: the link itself
    expect(mode(at("bin"))).toBe(0o755); // made for a tar that omits it
    expect(mode(at("usr/bin/suid"))).toBe(0o4755);
    expect(mode(at("tmp"))).toBe(0o1777);
  });

  test("the root entry sets the destination's own mode and time", async () => {
    const { dest } = await run([
      { name: "./", type: "directory", mode: 0o711, mtime: T },
      { name: "./x", data: "x" },
    ]);
    expect(mode(dest)).toBe(0o711);
    expect(mtime(dest)).toBe(1_500_000_000);
  });

  test("a directory that shuts out its owner gets its mode after its children", async () => {
    const { at } = await run([
      { name: "locked/", type: "directory", mode: 0o500, mtime: T },
      { name: "locked/inner/", type: "directory", mode: 0o555 },
      { name: "locked/inner/file", data: "in" },
    ]);
    expect(readFileSync(at("locked/inner/file"), "utf8")).toBe("in");
    expect(mode(at("locked"))).toBe(0o500);
    expect(mode(at("locked/inner"))).toBe(0o555);
    expect(mtime(at("locked"))).toBe(1_500_000_000);
  });

  test("later entries replace earlier ones; a directory over a directory only updates it", async () => {
    const { at } = await run([
      { name: "f", data: "first" },
      { name: "f", data: "second" },
      { name: "d/", type: "directory", mode: 0o755 },
      { name: "d/keep", data: "kept" },
      { name: "d/", type: "directory", mode: 0o700, mtime: T },
      { name: "x/", type: "directory" },
      { name: "x/deep/file", data: "gone" },
      { name: "x", data: "now a file" },
      { name: "y", data: "file first" },
      { name: "y/", type: "directory" },
      { name: "y/z", data: "z" },
      { name: "l", type: "symlink", linkname: "f" },
      { name: "l", type: "link", linkname: "f" },
    ]);
    expect(readFileSync(at("f"), "utf8")).toBe("second");
    expect(readFileSync(at("d/keep"), "utf8")).toBe("kept");
    expect(mode(at("d"))).toBe(0o700);
    expect(mtime(at("d"))).toBe(1_500_000_000);
    expect(readFileSync(at("x"), "utf8")).toBe("now a file");
    expect(readFileSync(at("y/z"), "utf8")).toBe("z");
    expect(lstatSync(at("l")).ino).toBe(lstatSync(at("f")).ino);
  });

  test("whiteouts stay as the plain files they are in the tar", async () => {
    // Docker writes them with mode 0 (tar-stream cannot: it turns 0 into 0644).
    const tar = Buffer.concat([rawHeader({ name: "etc/.wh.motd", mode: 0, uid, gid }), rawHeader({ name: "var/lib/.wh..wh..opq", mode: 0, uid, gid }), END]);
    const { result, at } = await run(tar);
    expect(result.whiteouts).toBe(2);
    expect(lstatSync(at("etc/.wh.motd")).isFile()).toBe(true);
    expect(mode(at("etc/.wh.motd"))).toBe(0);
    expect(readdirSync(at("var/lib"))).toEqual([".wh..wh..opq"]);
  });

  test("FIFOs through the helper, with what follows them in the same tar", async () => {
    const { at } = await run([
      { name: "run/fifo", type: "fifo", mode: 0o620, mtime: T },
      { name: "run/fifo-link", type: "link", linkname: "run/fifo" },
      { name: "run/after", data: "after" },
      { name: "run/replaced", type: "fifo" },
      { name: "run/replaced", data: "a file now" },
      { name: "run/sub/under", data: "u" },
    ]);
    expect(lstatSync(at("run/fifo")).isFIFO()).toBe(true);
    expect(mode(at("run/fifo"))).toBe(0o620);
    expect(mtime(at("run/fifo"))).toBe(1_500_000_000);
    expect(lstatSync(at("run/fifo-link")).ino).toBe(lstatSync(at("run/fifo")).ino);
    expect(readFileSync(at("run/replaced"), "utf8")).toBe("a file now");
    expect(readFileSync(at("run/sub/under"), "utf8")).toBe("u");
  });

  test("xattrs from PAX records are set; ones the system refuses are skipped with a debug note", async () => {
    const records = Buffer.concat([
      paxRecord("SCHILY.xattr.user.foo", "bar"),
      paxRecord("SCHILY.xattr.user.bin", Buffer.from([0, 0xff, 0x80])),
      paxRecord("SCHILY.xattr.trusted.nope", "x"),
    ]);
    const tar = Buffer.concat([paxHeader(records), rawHeader({ name: "f", size: 1, uid, gid }), blocks(Buffer.from("f")), END]);
    const notes: string[] = [];
    const { at } = await run(tar, { onDebug: (m) => notes.push(m) });
    const got = await fsAttr().listXattrs(at("f"));
    expect(got.get("user.foo")).toEqual(Buffer.from("bar"));
    expect(got.get("user.bin")).toEqual(Buffer.from([0, 0xff, 0x80]));
    if (uid !== 0) expect(notes).toEqual([expect.stringMatching(/^skipping xattr trusted\.nope on f: EPERM/)]);
  });

  test("devices are skipped and counted", async () => {
    const notes: string[] = [];
    const { result, dest } = await run([{ name: "dev/null", type: "character-device", devmajor: 1, devminor: 3 }], { onDebug: (m) => notes.push(m) });
    expect(result.devicesSkipped).toBe(1);
    expect(readdirSync(dest)).toEqual([]);
    expect(notes[0]).toMatch(/skipping char device dev\/null \(1:3\)/);
  });

  test("names that are not UTF-8 are written byte for byte", async () => {
    const name = Buffer.from([0x63, 0x61, 0x66, 0xe9]); // "café" in Latin-1
    const tar = Buffer.concat([rawHeader({ name, size: 2, uid, gid }), blocks(Buffer.from("ok")), END]);
    const { dest } = await run(tar);
    const names = readdirSync(dest, { encoding: "buffer" });
    expect(names).toEqual([name]);
    expect(readFileSync(Buffer.concat([Buffer.from(`${dest}/`), name]), "utf8")).toBe("ok");
  });

  test.skipIf(uid === 0)("outside the namespace, another owner is a clear error unless ignored", async () => {
    const err = await run([{ name: "f", data: "x", uid: 0, gid: 0 }]).catch((e: unknown) => e);
    expect((err as Error).message).toMatch(/cannot give layer entry f owner 0:0: operation not permitted/);
    const warnings: string[] = [];
    await run([{ name: "f", data: "x", uid: 0, gid: 0 }, { name: "g", data: "y", uid: 0, gid: 0 }], { ignoreChownErrors: true, onWarning: (m) => warnings.push(m) });
    expect(warnings).toHaveLength(1);
  });

  test("memory stays flat for a large file", async () => {
    const size = 256 << 20;
    const chunk = Buffer.alloc(1 << 16, 0x5a);
    async function* stream() {
      yield rawHeader({ name: "big", size, uid, gid });
      for (let sent = 0; sent < size; sent += chunk.length) yield chunk;
      yield END;
    }
    const dest = join(dir, "big");
    mkdirSync(dest);
    const before = process.memoryUsage().rss;
    const result = await extractLayer(stream(), dest);
    expect(result.bytes).toBe(size);
    expect(lstatSync(join(dest, "big")).size).toBe(size);
    expect(process.memoryUsage().rss - before).toBeLessThan(64 << 20);
    rmSync(dest, { recursive: true });
  });
});
