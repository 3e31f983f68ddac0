#!/usr/bin/env node
// Container start-up benchmark: `skiff run --rm busybox true` against
// `podman run --rm` (private store on fuse-overlayfs, --cgroups=disabled),
// both with --network host and with slirp4netns, and bare `crun run` of a prepared
// bundle (the floor: no image, no store, no monitor), with `node -e 0` for
// Node's own start-up. Then `ps`, `exec` and `run -d` against podman, and
// the resident memory of one idle container's monitor and of the pause
// process. Same busybox image in both stores (skiff imports it, saves it,
// podman loads that archive). Interleaved rounds, medians.
//
//   npm run bench -- run [--rounds N]      (as an unprivileged user)
//
// On this host crun (and so podman) refuse to start containers at all: the
// cgroup2 mount of the hybrid hierarchy lists a controller (hugetlb). Both
// therefore run inside a user+mount namespace that hides that mount (see
// lib/contenders.mjs); that also spares podman its own namespace join, so
// its figures are, if anything, a little flattering.
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { availableParallelism, loadavg, tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { compare, fixed, option, table } from "./lib/measure.mjs";
import { PodmanStore, busyboxRootfsTar, cgroupShim, commOf, crunBundle, parentOf, rssKiB, sh } from "./lib/contenders.mjs";

const repo = join(dirname(fileURLToPath(import.meta.url)), "..");
const args = process.argv.slice(2);
const rounds = Number(option(args, "rounds", "21"));
if (process.getuid() === 0) {
  console.error("run this benchmark as an unprivileged user: skiff is measured rootless");
  process.exit(2);
}

const work = mkdtempSync(join(tmpdir(), "skiff-bench-run-"));
const skiffEnv = { ...process.env, XDG_DATA_HOME: join(work, "data"), XDG_CONFIG_HOME: join(work, "config"), XDG_RUNTIME_DIR: join(work, "run") };
const skiffArgv = (a) => [process.execPath, [join(repo, "bin", "skiff.js"), ...a]];
const skiff = (a) => {
  const [cmd, argv] = skiffArgv(a);
  return sh(cmd, argv, { env: skiffEnv });
};
const quiet = (cmd, argv, env) => {
  const r = spawnSync(cmd, argv, { stdio: "ignore", env });
  if (r.status !== 0) throw new Error(`${cmd} ${argv.slice(0, 8).join(" ")}… exited ${r.status}`);
};

const shim = await cgroupShim();
const podman = new PodmanStore(work, shim);
const cleanups = [];
try {
  sh("mkdir", ["-p", skiffEnv.XDG_DATA_HOME, skiffEnv.XDG_CONFIG_HOME, skiffEnv.XDG_RUNTIME_DIR]);
  const { dir: rootfs, tar } = busyboxRootfsTar(work);
  skiff(["import", tar, "busybox:latest"]);
  const archive = join(work, "busybox-image.tar");
  skiff(["save", "-o", archive, "busybox:latest"]);
  podman.ok(["load", "-q", "-i", archive]);
  cleanups.push(() => podman.run(["rm", "-af", "-t", "0"]));
  cleanups.push(() => skiff(["rm", "-f", ...skiff(["ps", "-aq"]).split("\n").filter(Boolean)]));
  const bundle = crunBundle(work, rootfs, ["true"]);
  const crunState = join(work, "crun-state");
  let crunId = 0;

  const [pc, pa] = podman.argv(["run", "--rm", "--cgroups=disabled", "--network", "host", "busybox", "true"]);
  const [sc, sa] = podman.argv(["run", "--rm", "--cgroups=disabled", "--network", "slirp4netns", "busybox", "true"]);
  const runRm = compare(
    {
      skiff: () => quiet(...skiffArgv(["run", "--rm", "--network", "host", "busybox", "true"]), skiffEnv),
      podman: () => quiet(pc, pa, podman.env),
      "skiff slirp": () => quiet(...skiffArgv(["run", "--rm", "--network", "slirp4netns", "busybox", "true"]), skiffEnv),
      "podman slirp": () => quiet(sc, sa, podman.env),
      crun: () => quiet(...shim.enter(["crun", "--cgroup-manager=disabled", "--root", crunState, "run", "-b", bundle, `b${crunId++}`])),
      node: () => quiet(process.execPath, ["-e", "0"], skiffEnv),
    },
    { rounds, warmup: 2 },
  );

  // One idle detached container each, for ps and exec and for the memory figures.
  const sid = skiff(["run", "-d", "--name", "idle", "busybox", "sleep", "600"]).trim();
  podman.ok(["run", "-d", "--name", "idle", "--cgroups=disabled", "--network", "host", "busybox", "sleep", "600"]);
  const [psc, psa] = podman.argv(["ps"]);
  const [exc, exa] = podman.argv(["exec", "idle", "true"]);
  const looks = compare(
    {
      "skiff ps": () => quiet(...skiffArgv(["ps"]), skiffEnv),
      "podman ps": () => quiet(psc, psa, podman.env),
      "skiff exec": () => quiet(...skiffArgv(["exec", "idle", "true"]), skiffEnv),
      "podman exec": () => quiet(exc, exa, podman.env),
    },
    { rounds, warmup: 2 },
  );
  const [dc, da] = podman.argv(["run", "-d", "--cgroups=disabled", "--network", "host", "busybox", "sleep", "600"]);
  const detached = compare(
    {
      "skiff run -d": () => quiet(...skiffArgv(["run", "-d", "busybox", "sleep", "600"]), skiffEnv),
      "podman run -d": () => quiet(dc, da, podman.env),
    },
    { rounds: Math.min(rounds, 21), warmup: 1 },
  );

  const ctrPid = Number(skiff(["inspect", "-f", "{{.State.Pid}}", sid]).trim());
  const monitor = parentOf(ctrPid);
  const pausePid = Number(readFileSync(join(skiffEnv.XDG_RUNTIME_DIR, "skiff", "pause.pid"), "utf8").trim().split(/\s+/)[0]);
  const conmon = Number(podman.ok(["inspect", "-f", "{{.State.ConmonPid}}", "idle"]).trim());

  const ms = (x) => fixed(x, 1);
  const ratio = (a, b) => `${fixed(a / b, 2)}×`;
  console.log(`Container start-up, median of ${rounds} interleaved rounds (best in brackets); Node ${process.version}, ${availableParallelism()} CPUs, load ${loadavg()[0].toFixed(1)}\n`);
  table([
    ["run --rm busybox true", "median ms", "best ms", "vs podman", "vs crun"],
    ...["skiff", "podman", "skiff slirp", "podman slirp", "crun", "node"].map((k) => [
      { skiff: "skiff --network host", podman: "podman --network host", "skiff slirp": "skiff (slirp4netns)", "podman slirp": "podman --network slirp4netns", crun: "crun run (floor)", node: "node -e 0 (reference)" }[k],
      ms(runRm[k].median), `(${ms(runRm[k].best)})`,
      ratio(runRm[k].median, (k.endsWith("slirp") ? runRm["podman slirp"] : runRm.podman).median), ratio(runRm[k].median, runRm.crun.median),
    ]),
  ]);
  console.log("");
  const pair = (what, s, p) => [what, ms(s.median), ms(p.median), ratio(s.median, p.median)];
  table([
    ["", "skiff ms", "podman ms", "skiff / podman"],
    pair("ps (one container up)", looks["skiff ps"], looks["podman ps"]),
    pair("exec idle true", looks["skiff exec"], looks["podman exec"]),
    pair("run -d busybox sleep", detached["skiff run -d"], detached["podman run -d"]),
  ]);
  console.log("");
  const kib = (n) => (n === undefined ? "--" : `${fixed(n / 1024, 1)} MiB`);
  table([
    ["resident memory (VmRSS)", "", "process"],
    ["skiff monitor, one idle container", kib(rssKiB(monitor)), `${commOf(monitor)} ${monitor}`],
    ["skiff pause process", kib(rssKiB(pausePid)), `${commOf(pausePid)} ${pausePid}`],
    ["podman's conmon, one idle container", kib(rssKiB(conmon)), `${commOf(conmon)} ${conmon}`],
  ]);
  const checks = [
    ["skiff run --rm under 100 ms", runRm.skiff.median < 100],
    ["skiff run --rm faster than podman (host network)", runRm.skiff.median < runRm.podman.median],
    ["skiff run --rm faster than podman (slirp4netns)", runRm["skiff slirp"].median < runRm["podman slirp"].median],
    ["skiff monitor under 2 MiB", (rssKiB(monitor) ?? Infinity) < 2048],
  ];
  console.log("\n" + checks.map(([what, ok]) => `${ok ? "ok  " : "MISS"} ${what}`).join("\n"));
} finally {
  for (const c of cleanups.reverse()) {
    try {
      c();
    } catch (e) {
      console.error(`cleanup: ${e.message.split("\n")[0]}`);
    }
  }
  spawnSync(process.execPath, [join(repo, "bin", "skiff.js"), "unshare", "rm", "-rf", join(work, "data")], { env: skiffEnv, stdio: "ignore" });
  const pause = (() => {
    try {
      return Number(readFileSync(join(skiffEnv.XDG_RUNTIME_DIR, "skiff", "pause.pid"), "utf8").split(/\s+/)[0]);
    } catch {
      return 0;
    }
  })();
  if (pause && commOf(pause).startsWith("skiff")) process.kill(pause, "SIGKILL");
  spawnSync(shim.enter(["rm", "-rf", work])[0], shim.enter(["rm", "-rf", work])[1], { stdio: "ignore" });
  shim.stop();
  rmSync(work, { recursive: true, force: true });
}
