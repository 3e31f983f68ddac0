#!/usr/bin/env node
// Layer extraction benchmark: skiff's extractLayer against GNU tar (and
// umoci unpack --rootless when installed), on the same tars, in the same run.
//
//   node bench/extract.mjs [--reps N] [--work DIR] [--chunk BYTES] [--only small,mixed,rootfs]
//   (or `npm run bench -- extract` once scripts/bench.mjs dispatches to it)
//
// Layers: "small" — 10,000 small files in 100 directories; "mixed" — the same
// plus one 200 MB file; "rootfs" — ~15,000 entries of this machine's /usr
// (files, symlinks, hard links as they are), a stand-in for a distribution
// root filesystem since debootstrap needs the network.
//
// As root, every single extraction gets a freshly made ext4 filesystem on a
// loop device: on this machine's journal-less root filesystem, deleting and
// re-creating many files slows each repetition (DESIGN.md §6b), which would
// measure the allocator, not the extractor (the mounts live in a private
// mount namespace of the benchmark's own). As an ordinary user the
// benchmark re-runs itself inside skiff's user namespace and extracts into
// fresh directories under --work on whatever filesystem that is (and says so).
//
// skiff runs in a child Node process per extraction (NODE_EXTRA_CA_CERTS
// unset, as in a user's shell), which reports the extraction time (stream
// open to last directory time set) and its peak RSS; "wall" adds Node's
// start-up. GNU tar and umoci are timed as whole processes.
import { spawnSync } from "node:child_process";
import { createReadStream, existsSync, linkSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync, createWriteStream } from "node:fs";
import { createHash } from "node:crypto";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { prng } from "./lib/measure.mjs";

const here = dirname(fileURLToPath(import.meta.url));
const repo = join(here, "..");
const args = process.argv.slice(2);
const opt = (name, dflt) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : dflt;
};

/** One skiff extraction, in its own process so its peak RSS is its own. */
async function child(tar, dest, chunk) {
  const { extractLayer } = await import(join(repo, "build/js/layer/extract.js"));
  const t0 = performance.now();
  const result = await extractLayer(createReadStream(tar, { highWaterMark: chunk }), dest);
  const ms = performance.now() - t0;
  process.stdout.write(JSON.stringify({ ms, maxRssKiB: process.resourceUsage().maxRSS, result }));
}

function sh(cmd, argv, opts = {}) {
  const r = spawnSync(cmd, argv, { encoding: "utf8", maxBuffer: 1 << 26, ...opts });
  if (r.status !== 0) throw new Error(`${cmd} ${argv.join(" ")} failed (${r.status}): ${r.stderr}`);
  return r.stdout;
}

function inInitialUserNamespace() {
  return /^\s*0\s+0\s+4294967295/.test(readFileSync("/proc/self/uid_map", "utf8"));
}

async function main() {
  const root = process.getuid() === 0 && inInitialUserNamespace();
  if (root && !process.env.SKIFF_BENCH_PRIVATE_MOUNTS) {
    // Our loop mounts stay in a private mount namespace: a namespace someone
    // else creates meanwhile (a container, a test's pause process) would
    // otherwise copy them and keep the loop device busy after we unmount.
    const r = spawnSync("unshare", ["--mount", "--propagation", "private", process.execPath, fileURLToPath(import.meta.url), ...args], {
      stdio: "inherit",
      env: { ...process.env, SKIFF_BENCH_PRIVATE_MOUNTS: "1" },
    });
    process.exit(r.status ?? 1);
  }
  if (process.getuid() !== 0 && inInitialUserNamespace()) {
    // Owners other than ours need skiff's user namespace.
    const withWork = args.includes("--work") ? args : [...args, "--work", join(tmpdir(), `skiff-bench-${process.getuid()}`)];
    const r = spawnSync(process.execPath, [join(repo, "bin/skiff.js"), "unshare", process.execPath, fileURLToPath(import.meta.url), ...withWork], { stdio: "inherit" });
    process.exit(r.status ?? 1);
  }
  const reps = Number(opt("reps", "3"));
  const chunk = Number(opt("chunk", String(1 << 17)));
  const work = opt("work", join(tmpdir(), `skiff-bench-${process.getuid()}`));
  const only = opt("only", "small,mixed,rootfs").split(",");
  mkdirSync(work, { recursive: true });
  const umoci = root && spawnSync("sh", ["-c", "command -v umoci"]).status === 0;

  const layers = [];
  if (only.includes("small") || only.includes("mixed")) await makeGenerated(work);
  if (only.includes("small")) layers.push({ name: "small", tar: join(work, "small.tar"), what: "10,000 small files" });
  if (only.includes("mixed")) layers.push({ name: "mixed", tar: join(work, "mixed.tar"), what: "10,000 small files + one 200 MB file" });
  if (only.includes("rootfs")) layers.push({ name: "rootfs", tar: makeRootfs(work), what: "~15,000 entries of /usr" });

  const fs = root ? new LoopFs(work) : new PlainDirs(work);
  console.log(`extraction target: ${fs.describe()}; ${reps} repetitions; skiff reads ${chunk >> 10} KiB chunks; load average ${readFileSync("/proc/loadavg", "utf8").split(" ").slice(0, 3).join(" ")}`);
  console.log("times are medians; skiff's is extraction alone, wall adds Node's start-up");
  const env = { ...process.env, NODE_EXTRA_CA_CERTS: "" };
  delete env.NODE_EXTRA_CA_CERTS;

  const rows = [];
  for (const layer of layers) {
    const tarBytes = statSync(layer.tar).size;
    const layout = umoci ? makeLayout(work, layer) : undefined;
    const runs = { skiff: [], skiffWall: [], gnu: [], umoci: [], rss: [] };
    for (let i = 0; i < reps; i++) {
      let dest = fs.fresh();
      let t = performance.now();
      const out = JSON.parse(sh(process.execPath, [fileURLToPath(import.meta.url), "--child", layer.tar, dest, String(chunk)], { env }));
      runs.skiffWall.push(performance.now() - t);
      runs.skiff.push(out.ms);
      runs.rss.push(out.maxRssKiB);
      layer.entries = out.result.entries;
      fs.done();

      dest = fs.fresh();
      t = performance.now();
      sh("tar", ["-xpf", layer.tar, "-C", dest]);
      runs.gnu.push(performance.now() - t);
      fs.done();

      if (layout) {
        dest = fs.fresh();
        t = performance.now();
        sh("umoci", ["unpack", "--rootless", "--image", `${layout}:bench`, join(dest, "bundle")]);
        runs.umoci.push(performance.now() - t);
        fs.done();
      }
    }
    const med = (a) => {
      const s = [...a].sort((x, y) => x - y);
      return s.length % 2 ? s[s.length >> 1] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
    };
    const row = {
      layer: layer.name,
      what: layer.what,
      entries: layer.entries,
      tarMB: +(tarBytes / 1e6).toFixed(1),
      skiffMs: +med(runs.skiff).toFixed(0),
      skiffWallMs: +med(runs.skiffWall).toFixed(0),
      gnuTarMs: +med(runs.gnu).toFixed(0),
      ratio: +(med(runs.skiff) / med(runs.gnu)).toFixed(2),
      ratioWall: +(med(runs.skiffWall) / med(runs.gnu)).toFixed(2),
      // On a busy machine the fastest run is the steadier estimate.
      ratioBest: +(Math.min(...runs.skiff) / Math.min(...runs.gnu)).toFixed(2),
      umociMs: runs.umoci.length ? +med(runs.umoci).toFixed(0) : undefined,
      skiffPeakRssMB: +(Math.max(...runs.rss) / 1024).toFixed(0),
      all: { skiff: runs.skiff.map(Math.round), gnu: runs.gnu.map(Math.round), umoci: runs.umoci.map(Math.round), rssMB: runs.rss.map((k) => Math.round(k / 1024)) },
    };
    rows.push(row);
    console.log(
      `${row.layer.padEnd(7)} ${String(row.entries).padStart(6)} entries ${String(row.tarMB).padStart(7)} MB | ` +
        `skiff ${row.skiffMs} ms (wall ${row.skiffWallMs}) | GNU tar ${row.gnuTarMs} ms | ratio ${row.ratio} (wall ${row.ratioWall}, best-of ${row.ratioBest})` +
        `${row.umociMs !== undefined ? ` | umoci ${row.umociMs} ms` : ""} | skiff peak RSS ${row.skiffPeakRssMB} MB`,
    );
  }
  fs.close();
  writeFileSync(join(work, "results.json"), JSON.stringify(rows, null, 2));
  console.log(`(details: ${join(work, "results.json")})`);
}

async function makeGenerated(work) {
  const small = join(work, "small.tar");
  const mixed = join(work, "mixed.tar");
  if (existsSync(small) && existsSync(mixed)) return;
  const { pack } = await import(join(repo, "node_modules/tar-stream/index.js"));
  const write = async (file, withBig) => {
    const p = pack();
    const done = new Promise((resolve, reject) => p.pipe(createWriteStream(file)).on("finish", resolve).on("error", reject));
    const entry = (h, data) => new Promise((resolve, reject) => p.entry({ mtime: new Date(1_600_000_000_000), ...h }, data, (e) => (e ? reject(e) : resolve())));
    const rand = prng(42);
    const pool = Buffer.alloc(64 << 10);
    for (let i = 0; i < pool.length; i++) pool[i] = (rand() * 256) | 0;
    for (let d = 0; d < 100; d++) {
      const dir = `usr/share/d${String(d).padStart(3, "0")}`;
      await entry({ name: `${dir}/`, type: "directory", mode: 0o755 });
      for (let f = 0; f < 100; f++) {
        // Sizes like a distribution's small files: a tenth empty, most a few KiB, a tail to 64 KiB.
        const r = rand();
        const size = r < 0.1 ? 0 : Math.min(pool.length, Math.floor(Math.exp(4 + rand() * 7)));
        await entry({ name: `${dir}/file-${f}.txt`, mode: 0o644 }, pool.subarray(0, size));
      }
    }
    if (withBig) {
      const size = 200 * 1000 * 1000;
      const s = p.entry({ name: "opt/big.bin", size, mode: 0o644, mtime: new Date(1_600_000_000_000) });
      const block = Buffer.alloc(1 << 20);
      for (let i = 0; i < block.length; i++) block[i] = (rand() * 256) | 0;
      for (let left = size; left > 0; left -= block.length) {
        if (!s.write(block.subarray(0, Math.min(left, block.length)))) await new Promise((r) => s.once("drain", r));
      }
      await new Promise((resolve) => s.end(resolve));
    }
    p.finalize();
    await done;
  };
  await write(small, false);
  await write(mixed, true);
}

function makeRootfs(work) {
  const tar = join(work, "rootfs.tar");
  if (existsSync(tar)) return tar;
  // The first ~15,000 entries of /usr in directory order: binaries, libraries,
  // python, share/ — symlinks and hard links included, directories before contents.
  const list = sh("sh", ["-c", "cd / && find usr -xdev | head -n 15000"]);
  writeFileSync(join(work, "rootfs.list"), list);
  sh("tar", ["--no-recursion", "-cf", tar, "-C", "/", "-T", join(work, "rootfs.list")]);
  return tar;
}

/** An OCI layout holding the layer (uncompressed), for umoci. */
function makeLayout(work, layer) {
  const dir = join(work, `layout-${layer.name}`);
  if (existsSync(join(dir, "index.json"))) return dir;
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(join(dir, "blobs/sha256"), { recursive: true });
  const digestOf = (file) => createHash("sha256").update(readFileSync(file)).digest("hex");
  const layerHex = digestOf(layer.tar);
  linkSync(layer.tar, join(dir, "blobs/sha256", layerHex));
  const blob = (obj) => {
    const b = Buffer.from(JSON.stringify(obj));
    const hex = createHash("sha256").update(b).digest("hex");
    writeFileSync(join(dir, "blobs/sha256", hex), b);
    return { digest: `sha256:${hex}`, size: b.length };
  };
  const config = blob({ architecture: "amd64", os: "linux", config: {}, rootfs: { type: "layers", diff_ids: [`sha256:${layerHex}`] } });
  const manifest = blob({
    schemaVersion: 2,
    mediaType: "application/vnd.oci.image.manifest.v1+json",
    config: { mediaType: "application/vnd.oci.image.config.v1+json", ...config },
    layers: [{ mediaType: "application/vnd.oci.image.layer.v1.tar", digest: `sha256:${layerHex}`, size: statSync(layer.tar).size }],
  });
  writeFileSync(join(dir, "oci-layout"), JSON.stringify({ imageLayoutVersion: "1.0.0" }));
  writeFileSync(
    join(dir, "index.json"),
    JSON.stringify({ schemaVersion: 2, manifests: [{ mediaType: "application/vnd.oci.image.manifest.v1+json", ...manifest, annotations: { "org.opencontainers.image.ref.name": "bench" } }] }),
  );
  return dir;
}

/** As root: a new ext4 filesystem on a loop device for every extraction. */
class LoopFs {
  constructor(work) {
    this.img = join(work, "fs.img");
    this.mnt = join(work, "mnt");
    mkdirSync(this.mnt, { recursive: true });
    rmSync(this.img, { force: true });
    sh("truncate", ["-s", "4G", this.img]);
    // One loop device for the whole run, and mkfs through it: making the
    // filesystem in the file behind a device's back would leave stale blocks
    // in the device's cache (and `mount -o loop` reuses a device already bound
    // to the same file).
    this.dev = sh("losetup", ["--find", "--show", this.img]).trim();
  }
  describe() {
    return `a fresh ext4 filesystem (${this.dev}, 4 GiB, made before each extraction) at ${this.mnt}`;
  }
  fresh() {
    // Inode tables initialised now, not by a background thread during the run.
    sh("mkfs.ext4", ["-q", "-F", "-E", "lazy_itable_init=0,lazy_journal_init=0", this.dev]);
    sh("mount", [this.dev, this.mnt]);
    const dest = join(this.mnt, "dest");
    mkdirSync(dest);
    return dest;
  }
  done() {
    sh("umount", [this.mnt]);
  }
  close() {
    sh("losetup", ["-d", this.dev]);
    rmSync(this.img, { force: true });
  }
}

/** Unprivileged: fresh directories on the filesystem of --work (no mkfs without root). */
class PlainDirs {
  constructor(work) {
    this.base = join(work, "runs");
    this.n = 0;
    rmSync(this.base, { recursive: true, force: true });
    mkdirSync(this.base, { recursive: true });
  }
  describe() {
    const fsType = sh("stat", ["-f", "-c", "%T", this.base]).trim();
    return `fresh directories under ${this.base} (${fsType}, not a fresh filesystem: run as root for that)`;
  }
  fresh() {
    const d = join(this.base, String(this.n++));
    mkdirSync(d);
    return d;
  }
  done() {}
  close() {
    rmSync(this.base, { recursive: true, force: true });
  }
}

if (args[0] === "--child") await child(args[1], args[2], Number(args[3]));
else await main();
