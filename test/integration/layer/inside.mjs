// Run inside skiff's user namespace (`skiff unshare node inside.mjs ACTION ...`)
// by the layer integration tests: builds trees with container owners, packs,
// extracts and lists them with the compiled skiff modules. Prints JSON.
//
//   make-tree DIR             a tree with every kind of entry the layer code handles
//   pack DIR OUT              packDirectory(DIR) > OUT
//   extract TAR DEST [OPTS]   extractLayer; OPTS is JSON ({"ignoreChownErrors": true})
//   extract-many JOBS         JOBS: JSON file of [{tar, dest}]; one result each
//   list DIR                  the full listing of DIR (see listTree)
import { createHash } from "node:crypto";
import {
  chmodSync,
  createReadStream,
  createWriteStream,
  linkSync,
  lchownSync,
  lstatSync,
  lutimesSync,
  mkdirSync,
  readFileSync,
  readdirSync,
  readlinkSync,
  symlinkSync,
  utimesSync,
  writeFileSync,
} from "node:fs";
import { join } from "node:path";
import { pipeline } from "node:stream/promises";

const root = new URL("../../../build/js/", import.meta.url);
const { extractLayer } = await import(new URL("layer/extract.js", root).href);
const { packDirectory } = await import(new URL("layer/pack.js", root).href);
const { fsAttr } = await import(new URL("layer/fsattr.js", root).href);

const [action, ...args] = process.argv.slice(2);

async function makeTree(dir) {
  const attr = fsAttr();
  const p = (rel) => join(dir, rel);
  mkdirSync(dir, { recursive: true });
  mkdirSync(p("etc"));
  mkdirSync(p("bin"));
  mkdirSync(p("home/user/deep/er"), { recursive: true });
  mkdirSync(p("tmp"));
  mkdirSync(p("shared"));
  writeFileSync(p("etc/empty"), "");
  writeFileSync(p("etc/small"), "hello\n");
  writeFileSync(p("etc/block"), Buffer.alloc(512, 7));
  writeFileSync(p("etc/odd"), Buffer.alloc(513, 9));
  const big = Buffer.alloc(3 * 1024 * 1024 + 17);
  for (let i = 0; i < big.length; i++) big[i] = (i * 31) & 0xff;
  writeFileSync(p("bin/big"), big);
  writeFileSync(p("bin/setuid"), "#!/bin/sh\n");
  writeFileSync(p("bin/setgid"), "#!/bin/sh\n");
  writeFileSync(p("home/user/deep/er/file"), "deep\n");
  linkSync(p("etc/small"), p("etc/small-hardlink"));
  linkSync(p("etc/small"), p("home/user/another-hardlink"));
  symlinkSync("../etc/small", p("bin/rel-link"));
  symlinkSync("/etc/passwd", p("bin/abs-link"));
  symlinkSync("dangling/nowhere", p("bin/dangling"));
  await attr.mkfifo(p("tmp/fifo"), 0o640);
  // Names: long (> 100 bytes; path > 255 bytes), UTF-8.
  const longDir = "d".repeat(120);
  mkdirSync(p(longDir));
  writeFileSync(p(`${longDir}/${"f".repeat(150)}`), "long\n");
  symlinkSync("t".repeat(140), p(`${longDir}/long-target`));
  writeFileSync(p("héllo wörld ☃.txt"), "utf8\n");
  mkdirSync(p("日本語"));
  writeFileSync(p("日本語/ファイル"), "utf8 too\n");
  // Owners 0, 1000, 65534.
  for (const [rel, uid, gid] of [
    ["home/user", 1000, 1000],
    ["home/user/deep", 1000, 1000],
    ["home/user/deep/er/file", 1000, 100],
    ["etc/odd", 65534, 65534],
    ["bin/dangling", 1000, 1000],
    ["tmp/fifo", 1000, 1000],
    ["bin/setuid", 1000, 0],
    ["bin/setgid", 0, 1000],
    ["shared", 0, 1000],
  ])
    lchownSync(p(rel), uid, gid);
  chmodSync(p("bin/setuid"), 0o4755);
  chmodSync(p("bin/setgid"), 0o2711);
  chmodSync(p("tmp"), 0o1777);
  chmodSync(p("shared"), 0o2775);
  chmodSync(p("etc/block"), 0o600);
  chmodSync(p("etc/odd"), 0o666);
  chmodSync(p("home/user/deep/er"), 0o500); // shuts out its owner: applied last on extraction
  await attr.setXattr(p("etc/small"), "user.foo", Buffer.from("bar"));
  await attr.setXattr(p("bin/big"), "user.binary", Buffer.from([0, 0x80, 0xff, 0x0a, 0x09, 0x25]));
  await attr.setXattr(p("home/user"), "user.dir", Buffer.from("on a directory"));
  // File capabilities are binary (here with a 0x80 byte): cap_setuid,cap_net_raw=ep.
  writeFileSync(p("bin/ping"), "ping\n");
  chmodSync(p("bin/ping"), 0o755);
  await attr.setXattr(p("bin/ping"), "security.capability", Buffer.from("0100000280200000000000000000000000000000", "hex"));
  // Sub-second mtimes, directories last (creating children changes them).
  let t = 1_500_000_000.123456;
  const stamp = (rel) => {
    t += 1000.25;
    const st = lstatSync(p(rel));
    if (st.isSymbolicLink()) lutimesSync(p(rel), t, t);
    else utimesSync(p(rel), t, t);
  };
  const all = [];
  const walk = (rel) => {
    for (const name of readdirSync(p(rel))) {
      const r = rel ? `${rel}/${name}` : name;
      all.push(r);
      if (lstatSync(p(r)).isDirectory()) walk(r);
    }
  };
  walk("");
  for (const r of all.filter((r) => !lstatSync(p(r)).isDirectory())) stamp(r);
  for (const r of all.filter((r) => lstatSync(p(r)).isDirectory()).reverse()) stamp(r);
  return { entries: all.length };
}

/** Every entry below dir: type, mode, owner, size, whole-second mtime, link target, content digest, xattrs, hard link group. */
async function listTree(dir) {
  const attr = fsAttr();
  const rows = [];
  const inodes = new Map();
  const walk = async (rel) => {
    const names = readdirSync(join(dir, rel)).sort();
    for (const name of names) {
      const r = rel ? `${rel}/${name}` : name;
      const f = join(dir, r);
      const st = lstatSync(f);
      const type = st.isFile() ? "file" : st.isDirectory() ? "dir" : st.isSymbolicLink() ? "symlink" : st.isFIFO() ? "fifo" : "other";
      const row = { path: r, type, mode: (st.mode & 0o7777).toString(8), uid: st.uid, gid: st.gid, mtime: Math.floor(st.mtimeMs / 1000) };
      if (type === "file") {
        row.size = st.size;
        row.sha256 = createHash("sha256").update(readFileSync(f)).digest("hex");
        if (st.nlink > 1) {
          const key = `${st.dev}:${st.ino}`;
          if (!inodes.has(key)) inodes.set(key, r);
          row.linkGroup = inodes.get(key);
        }
      }
      if (type === "symlink") row.target = readlinkSync(f);
      const x = await attr.listXattrs(f).catch(() => new Map());
      if (x.size) row.xattrs = Object.fromEntries([...x].filter(([k]) => k.startsWith("user.") || k === "security.capability").map(([k, v]) => [k, v.toString("hex")]));
      rows.push(row);
      if (type === "dir") await walk(r);
    }
  };
  await walk("");
  return rows;
}

async function extract(tar, dest, opts = {}) {
  const warnings = [];
  try {
    mkdirSync(dest, { recursive: true });
    const result = await extractLayer(createReadStream(tar), dest, { ...opts, onWarning: (m) => warnings.push(m) });
    return { ok: true, result, warnings };
  } catch (e) {
    return { ok: false, name: e.name, message: e.message, hint: e.hint, warnings };
  }
}

let out;
switch (action) {
  case "make-tree":
    out = await makeTree(args[0]);
    break;
  case "pack":
    await pipeline(packDirectory(args[0]), createWriteStream(args[1]));
    out = { ok: true };
    break;
  case "extract":
    out = await extract(args[0], args[1], args[2] ? JSON.parse(args[2]) : {});
    break;
  case "extract-many":
    out = [];
    for (const job of JSON.parse(readFileSync(args[0], "utf8"))) out.push(await extract(job.tar, job.dest, job.opts));
    break;
  case "list":
    out = await listTree(args[0]);
    break;
  default:
    throw new Error(`unknown action ${action}`);
}
process.stdout.write(JSON.stringify(out));
