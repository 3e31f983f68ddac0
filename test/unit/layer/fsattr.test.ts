import { spawnSync } from "node:child_process";
import { existsSync, lstatSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, test } from "vitest";
import { FsAttr, FsAttrError } from "../../../src/layer/fsattr.js";

// native/skiff-fsattr and its host side, against files in the test's own
// temporary directory (ext4 here: user.* xattrs work as any user).

const dir = mkdtempSync(join(tmpdir(), "skiff-fsattr-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const helper = new FsAttr();
const program = join(import.meta.dirname, "..", "..", "..", "build", "native", "skiff-fsattr");

describe("skiff-fsattr", () => {
  test("sets and lists xattrs with binary values and awkward names", async () => {
    const f = join(dir, "a\tfile with\nodd %25 name");
    writeFileSync(f, "");
    const value = Buffer.from([0, 0x80, 0xff, 0x09, 0x0a, 0x25]);
    await helper.setXattr(f, "user.bin", value);
    await helper.setXattr(f, "user.tab\there", Buffer.from("t"));
    await helper.setXattr(f, "user.empty", Buffer.alloc(0));
    const all = await helper.listXattrs(f);
    expect(all.get("user.bin")).toEqual(value);
    expect(all.get("user.tab\there")).toEqual(Buffer.from("t"));
    expect(all.get("user.empty")).toEqual(Buffer.alloc(0));
  });

  test("non-UTF-8 path bytes go through unchanged", async () => {
    const name = Buffer.concat([Buffer.from(`${dir}/`), Buffer.from([0x6c, 0xe9])]);
    writeFileSync(name, "");
    await helper.setXattr(name, "user.x", Buffer.from("1"));
    expect((await helper.listXattrs(name)).get("user.x")).toEqual(Buffer.from("1"));
  });

  test("FIFOs get exactly the mode asked for, whatever our umask", async () => {
    const f = join(dir, "fifo");
    await helper.mkfifo(f, 0o666);
    const st = lstatSync(f);
    expect(st.isFIFO()).toBe(true);
    expect(st.mode & 0o7777).toBe(0o666);
  });

  test("failures name the call, the errno and the path; later requests still work", async () => {
    const missing = join(dir, "missing");
    const err = await helper.setXattr(missing, "user.x", Buffer.from("1")).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(FsAttrError);
    expect(err).toMatchObject({ errno: "ENOENT", path: missing });
    expect((err as Error).message).toMatch(/^lsetxattr user\.x: No such file or directory/);
    const link = join(dir, "link");
    symlinkSync("/etc/passwd", link);
    // lsetxattr never follows: user.* on a symlink itself is not allowed.
    await expect(helper.setXattr(link, "user.x", Buffer.from("1"))).rejects.toMatchObject({ errno: "EPERM" });
    await expect(helper.mkfifo(join(dir, "fifo"), 0o600)).rejects.toMatchObject({ errno: "EEXIST" });
    expect(await helper.listXattrs(link)).toEqual(new Map());
  });

  test("many requests are pipelined and answered in order", async () => {
    const files = Array.from({ length: 2000 }, (_, i) => join(dir, `many-${i}`));
    for (const f of files) writeFileSync(f, "");
    const failures: (Error | null)[] = [];
    for (const [i, f] of files.entries()) helper.queueSetXattr(f, "user.i", Buffer.from(String(i)), (e) => failures.push(e));
    helper.queueSetXattr(join(dir, "nope"), "user.i", Buffer.from("x"), (e) => failures.push(e));
    await helper.drain();
    expect(failures).toHaveLength(2001);
    expect(failures.slice(0, 2000).every((e) => e === null)).toBe(true);
    expect(failures[2000]).toBeInstanceOf(FsAttrError);
    const got = await Promise.all(files.map((f) => helper.listXattrs(f)));
    expect(got.map((m) => m.get("user.i")!.toString())).toEqual(files.map((_, i) => String(i)));
  });

  const compiled = join(import.meta.dirname, "..", "..", "..", "build", "js", "layer", "fsattr.js");
  test.skipIf(!existsSync(compiled))("an idle helper does not keep its process alive", () => {
    const script = `
      import { FsAttr } from ${JSON.stringify(compiled)};
      const h = new FsAttr(${JSON.stringify(program)});
      await h.mkfifo(${JSON.stringify(join(dir, "from-child"))}, 0o600);
      console.log("done");`;
    const r = spawnSync(process.execPath, ["--input-type=module", "-e", script], { encoding: "utf8", timeout: 10_000 });
    expect(r.stderr).toBe("");
    expect(r.stdout).toBe("done\n");
    expect(r.status).toBe(0);
  });

  test("malformed requests get an error reply, so replies stay paired", () => {
    const r = spawnSync(program, { input: "bogus\nset\tonly-path\nfifo\t/x\t99\nget\t%zz\nget\t/nonexistent%2Fx\n", encoding: "utf8" });
    expect(r.status).toBe(0);
    expect(r.stdout.split("\n").filter(Boolean)).toEqual([
      "err\t-\tEINVAL\trequest bogus: Invalid argument",
      "err\tonly-path\tEINVAL\trequest set: Invalid argument",
      "err\t/x\tEINVAL\tparse mode 99: Invalid argument",
      "err\t-\tEINVAL\tdecode request field: Invalid argument",
      "err\t/nonexistent/x\tENOENT\tllistxattr /nonexistent/x: No such file or directory",
    ]);
  });
});
