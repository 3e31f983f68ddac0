import { spawnSync } from "node:child_process";
import { lstatSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { userInfo } from "node:os";
import { join } from "node:path";
import { extract } from "tar-stream";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { compareTarPaths } from "../../../src/layer/paths.js";
import { parseSubid } from "../../../src/userns/subid.js";
import { tarOf } from "../../fixtures/hostile-tars.js";
import { SkiffEnv, isRoot } from "../../helpers/cli.js";

// A generated tree with every kind of entry (owners 0/1000/65534,
// setuid/setgid/sticky, hard links, symlinks, a FIFO, xattrs including a
// binary file capability, long and UTF-8 names, sub-second mtimes) goes
// through packDirectory and back through extractLayer inside skiff's user
// namespace, and through GNU tar both ways; every listing must match.

const me = userInfo();
const inside = join(import.meta.dirname, "inside.mjs");

interface Row {
  path: string;
  type: string;
  mode: string;
  uid: number;
  gid: number;
  mtime: number;
  size?: number;
  sha256?: string;
  target?: string;
  linkGroup?: string;
  xattrs?: Record<string, string>;
}

describe.skipIf(isRoot)("layer round trips inside the user namespace", () => {
  let env: SkiffEnv;
  let work: string;
  let tree: Row[];
  const run = async (...args: string[]) => JSON.parse(await env.ok(["unshare", process.execPath, inside, ...args]));

  beforeAll(async () => {
    env = new SkiffEnv();
    work = join(env.base, "work");
    await run("make-tree", join(work, "tree"));
    await run("pack", join(work, "tree"), join(work, "layer.tar"));
    tree = await run("list", join(work, "tree"));
  });
  afterAll(() => env?.cleanup());

  test("the tree has what the test is about", () => {
    const by = new Map(tree.map((r) => [r.path, r]));
    expect(by.get("tmp/fifo")).toMatchObject({ type: "fifo", uid: 1000, mode: "640" });
    expect(by.get("bin/setuid")).toMatchObject({ mode: "4755", uid: 1000 });
    expect(by.get("bin/setgid")).toMatchObject({ mode: "2711", gid: 1000 });
    expect(by.get("tmp")).toMatchObject({ mode: "1777" });
    expect(by.get("etc/odd")).toMatchObject({ uid: 65534, mode: "666" });
    expect(by.get("etc/small-hardlink")!.linkGroup).toBe("etc/small");
    expect(by.get("bin/ping")!.xattrs).toEqual({ "security.capability": "0100000280200000000000000000000000000000" });
    expect(tree.some((r) => Buffer.byteLength(r.path) > 255)).toBe(true);
  });

  test("packDirectory → extractLayer gives back the same tree", async () => {
    const r = await run("extract", join(work, "layer.tar"), join(work, "skiff"));
    expect(r).toMatchObject({ ok: true, warnings: [] });
    expect(r.result.entries).toBe(tree.length);
    expect(r.result.bytes).toBe(tree.filter((x) => x.type === "file" && !(x.linkGroup && x.linkGroup !== x.path)).reduce((n, x) => n + x.size!, 0));
    expect(await run("list", join(work, "skiff"))).toEqual(tree);
    // Whole seconds, as tar keeps them.
    expect(lstatSync(join(work, "skiff", "etc", "small")).mtimeMs % 1000).toBe(0);
  });

  test("packing is deterministic", async () => {
    await run("pack", join(work, "tree"), join(work, "again.tar"));
    expect(readFileSync(join(work, "again.tar")).equals(readFileSync(join(work, "layer.tar")))).toBe(true);
  });

  test("entries come in canonical order and tar-stream reads them", async () => {
    const names: string[] = [];
    const ex = extract();
    ex.end(readFileSync(join(work, "layer.tar")));
    for await (const e of ex) {
      names.push(e.header.name.replace(/\/$/, ""));
      e.resume();
    }
    expect(names).toHaveLength(tree.length);
    const bytes = names.map((n) => Buffer.from(n).toString("latin1"));
    expect([...bytes].sort(compareTarPaths)).toEqual(bytes);
  });

  test("GNU tar extracts what packDirectory wrote, to the same tree", async () => {
    mkdirSync(join(work, "gnu"));
    await env.ok(["unshare", "tar", "--xattrs", "--xattrs-include=*", "-xpf", join(work, "layer.tar"), "-C", join(work, "gnu")]);
    expect(await run("list", join(work, "gnu"))).toEqual(tree);
  });

  test("tar -tvf lists every entry with owners, links and long names", () => {
    const r = spawnSync("tar", ["--quoting-style=literal", "-tvf", join(work, "layer.tar")], { encoding: "utf8" });
    expect(r.status).toBe(0);
    const lines = r.stdout.trim().split("\n");
    expect(lines).toHaveLength(tree.length);
    expect(r.stdout).toMatch(/^-rwsr-xr-x 1000\/0 .* bin\/setuid$/m);
    expect(r.stdout).toMatch(/^hrw-r--r-- 0\/0 .* etc\/small-hardlink link to etc\/small$/m);
    expect(r.stdout).toMatch(/^prw-r----- 1000\/1000 .* tmp\/fifo$/m);
    expect(r.stdout).toContain(`${"d".repeat(120)}/${"f".repeat(150)}`);
    expect(r.stdout).toContain("日本語/ファイル");
  });

  test("extractLayer reads what GNU tar writes (posix format, ./ names, root entry)", async () => {
    await env.ok(["unshare", "tar", "--xattrs", "--xattrs-include=*", "--format=posix", "-cpf", join(work, "gnu.tar"), "-C", join(work, "tree"), "."]);
    const r = await run("extract", join(work, "gnu.tar"), join(work, "from-gnu"));
    expect(r).toMatchObject({ ok: true });
    expect(await run("list", join(work, "from-gnu"))).toEqual(tree);
  });

  test("seen from outside, container uid 1000 is subuid-start + 999", () => {
    const ranges = parseSubid(readFileSync("/etc/subuid", "utf8"), me.username, me.uid);
    const st = lstatSync(join(work, "skiff", "home", "user", "deep", "er", "file"));
    expect(st.uid).toBe(ranges[0]!.start + 999);
    expect(lstatSync(join(work, "skiff", "etc", "small")).uid).toBe(me.uid);
  });

  test("an owner outside the mapped range is named, with the /etc/subuid fix", async () => {
    writeFileSync(join(work, "unmapped.tar"), await tarOf([{ name: "usr/lib/postgres", uid: 70000, gid: 70000, data: "x" }]));
    const r = await run("extract", join(work, "unmapped.tar"), join(work, "unmapped"));
    expect(r.ok).toBe(false);
    expect(r.message).toMatch(/layer entry usr\/lib\/postgres owner uid 70000: that uid is not mapped into skiff's user namespace \(ids 0-65536 are\)/);
    expect(r.hint).toMatch(/larger subordinate range in \/etc\/subuid \(at least 70001 ids/);
  });

  test("devices are skipped and counted; whiteouts are kept as plain files", async () => {
    const tar = await tarOf([
      { name: "dev/", type: "directory" },
      { name: "dev/null", type: "character-device", devmajor: 1, devminor: 3 },
      { name: "dev/sda", type: "block-device", devmajor: 8, devminor: 0 },
      { name: "etc/.wh.passwd", data: "" },
      { name: "var/.wh..wh..opq", data: "" },
    ]);
    writeFileSync(join(work, "dev.tar"), tar);
    const r = await run("extract", join(work, "dev.tar"), join(work, "dev"));
    expect(r).toMatchObject({ ok: true, result: { entries: 5, devicesSkipped: 2, whiteouts: 2 } });
    const rows: Row[] = await run("list", join(work, "dev"));
    expect(rows.map((x) => `${x.path} ${x.type}`)).toEqual(["dev dir", "etc dir", "etc/.wh.passwd file", "var dir", "var/.wh..wh..opq file"]);
  });
});

describe.skipIf(isRoot)("the single-id fallback (no subordinate ids)", () => {
  let env: SkiffEnv;
  afterAll(() => env?.cleanup());

  test("other owners fail clearly, or are skipped with one warning when asked", async () => {
    const probe = new SkiffEnv();
    const subid = join(probe.base, "subid");
    writeFileSync(subid, "someoneelse:100000:65536\n");
    env = new SkiffEnv({ SKIFF_SUBUID_FILE: subid, SKIFF_SUBGID_FILE: subid });
    probe.cleanup();
    const work = join(env.base, "work");
    const tar = join(work, "owners.tar");
    writeFileSync(tar, await tarOf([{ name: "a", uid: 1000, gid: 1000, data: "a" }, { name: "b", uid: 2, gid: 2, mode: 0o4755, data: "b" }, { name: "c", data: "c" }]));
    const run = async (...args: string[]) => JSON.parse(await env.ok(["unshare", process.execPath, inside, ...args]));
    const strict = await run("extract", tar, join(work, "strict"));
    expect(strict.ok).toBe(false);
    expect(strict.message).toMatch(/owner uid 1000: that uid is not mapped .*\(ids 0-0 are\)/);
    const lenient = await run("extract", tar, join(work, "lenient"), JSON.stringify({ ignoreChownErrors: true }));
    expect(lenient).toMatchObject({ ok: true, result: { entries: 3 } });
    expect(lenient.warnings).toHaveLength(1);
    expect(lenient.warnings[0]).toMatch(/cannot set owner 1000:1000 on layer entry a .*ignoring this and any further ownership errors/);
    // The mode is still applied (setuid kept: the owner is unchanged).
    expect(lstatSync(join(work, "lenient", "b")).mode & 0o7777).toBe(0o4755);
  });
});
