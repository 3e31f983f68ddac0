#!/usr/bin/env node
// Build benchmark: the same 6-step Dockerfile built by `skiff build` and by
// `buildah bud --layers` (the layer cache on, as skiff's classic builder
// always has it), cold (fresh stores, the base image already in them) and
// then fully cached, in the same run.
//
//   npm run bench -- build [--reps N] [--work DIR]
//
// The Dockerfile: FROM a busybox image (made from /bin/busybox, no
// network), COPY of 1,000 context files, a RUN writing 10,000 files, ENV,
// WORKDIR, CMD. Both tools keep their stores on fuse-overlayfs (skiff's
// default; buildah's overlay driver with fuse-overlayfs as mount program)
// and run RUN rootless (buildah with chroot isolation). Run it as an
// ordinary user with subordinate ids: rootless is what is measured.
// Each tool is timed as a whole process (Node's start-up included for skiff,
// NODE_EXTRA_CA_CERTS unset as in a user's shell).
import { spawnSync } from "node:child_process";
import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import { loadavg, tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { busyboxRootfsTar, sh } from "./lib/contenders.mjs";
import { fixed, option, table } from "./lib/measure.mjs";

const repo = join(dirname(fileURLToPath(import.meta.url)), "..");
const args = process.argv.slice(2);
const reps = Number(option(args, "reps", "3"));
const work = option(args, "work", join(tmpdir(), `skiff-bench-build-${process.getuid()}`));

const DOCKERFILE = `FROM localhost/busybox:latest
COPY files/ /files/
RUN mkdir /gen && cd /gen && i=0; while [ $i -lt 10000 ]; do echo $i > f$i; i=$((i+1)); done
ENV APP_MODE=bench
WORKDIR /app
CMD ["sh"]
`;

function context() {
  const dir = join(work, "context");
  rmSync(dir, { recursive: true, force: true });
  for (let d = 0; d < 10; d++) {
    mkdirSync(join(dir, "files", `d${d}`), { recursive: true });
    for (let f = 0; f < 100; f++) writeFileSync(join(dir, "files", `d${d}`, `f${f}.txt`), `file ${d}/${f}\n`.repeat(20));
  }
  writeFileSync(join(dir, "Dockerfile"), DOCKERFILE);
  return dir;
}

const env = { ...process.env };
delete env.NODE_EXTRA_CA_CERTS;

class Skiff {
  constructor() {
    this.base = join(work, "skiff");
    this.env = { ...env, XDG_DATA_HOME: join(this.base, "data"), XDG_CONFIG_HOME: join(this.base, "config"), XDG_RUNTIME_DIR: join(this.base, "run") };
  }
  cmd(argv, opts = {}) {
    return sh(process.execPath, [join(repo, "bin", "skiff.js"), ...argv], { env: this.env, ...opts });
  }
  reset(baseTar) {
    if (this.started) spawnSync(process.execPath, [join(repo, "bin", "skiff.js"), "unshare", "rm", "-rf", join(this.base, "data")], { env: this.env });
    for (const d of ["data", "config", "run"]) mkdirSync(join(this.base, d), { recursive: true, mode: 0o700 });
    this.cmd(["import", baseTar, "localhost/busybox:latest"]);
    this.started = true;
  }
  build(ctx) {
    this.cmd(["build", "-q", "-t", "bench:skiff", ctx]);
  }
  stop() {
    spawnSync(process.execPath, [join(repo, "bin", "skiff.js"), "unshare", "rm", "-rf", this.base], { env: this.env });
    try {
      const [pid] = sh("cat", [join(this.base, "run", "skiff", "pause.pid")]).trim().split(/\s+/);
      process.kill(Number(pid), "SIGKILL");
    } catch {
      /* gone */
    }
    rmSync(this.base, { recursive: true, force: true });
  }
}

class Buildah {
  constructor() {
    this.base = join(work, "buildah");
    this.store = ["--root", join(this.base, "root"), "--runroot", join(this.base, "run"), "--storage-driver", "overlay", "--storage-opt", "overlay.mount_program=/usr/bin/fuse-overlayfs"];
  }
  cmd(argv) {
    return sh("buildah", [...this.store, ...argv], { env: { ...env, BUILDAH_ISOLATION: "chroot" } });
  }
  /** A fresh store holding the base image (buildah has no `import`: from scratch, add the rootfs tar, commit). */
  reset(baseTar) {
    spawnSync("buildah", [...this.store, "unshare", "rm", "-rf", join(this.base, "root"), join(this.base, "run")]);
    mkdirSync(this.base, { recursive: true });
    const ctr = this.cmd(["from", "scratch"]).trim();
    this.cmd(["add", ctr, baseTar, "/"]);
    this.cmd(["commit", "-q", ctr, "localhost/busybox:latest"]);
    this.cmd(["rm", ctr]);
  }
  build(ctx) {
    this.cmd(["bud", "--layers", "--isolation", "chroot", "--pull-never", "-q", "-t", "bench-buildah", ctx]);
  }
  stop() {
    spawnSync("buildah", [...this.store, "unshare", "rm", "-rf", this.base]);
    rmSync(this.base, { recursive: true, force: true });
  }
}

const time = (fn) => {
  const t0 = performance.now();
  fn();
  return performance.now() - t0;
};
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

if (process.getuid() === 0) console.error("note: running as root; the figures that matter are rootless (run as an ordinary user)");
mkdirSync(work, { recursive: true });
const { tar: baseTar } = busyboxRootfsTar(join(work, "base"));
const ctx = context();
const tools = { skiff: new Skiff(), buildah: new Buildah() };
const times = { skiff: { cold: [], cached: [] }, buildah: { cold: [], cached: [] } };
try {
  for (let r = 0; r < reps; r++) {
    // Interleaved, so drift on the machine falls on both alike.
    for (const [name, tool] of Object.entries(tools)) {
      tool.reset(baseTar);
      times[name].cold.push(time(() => tool.build(ctx)));
      times[name].cached.push(time(() => tool.build(ctx)));
    }
  }
} finally {
  for (const tool of Object.values(tools)) tool.stop();
  rmSync(work, { recursive: true, force: true });
}

console.log(`build: 6 steps (COPY 1,000 files, RUN writing 10,000 files), ${reps} reps interleaved; Node ${process.version}, load ${loadavg()[0].toFixed(1)}\n`);
const rows = [["build", "skiff ms", "buildah ms", "skiff/buildah"]];
for (const kind of ["cold", "cached"]) {
  const s = median(times.skiff[kind]);
  const b = median(times.buildah[kind]);
  rows.push([kind, fixed(s, 0), fixed(b, 0), `${fixed(s / b, 2)}×`]);
}
table(rows);
