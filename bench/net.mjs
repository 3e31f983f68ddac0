#!/usr/bin/env node
// Rootless networking benchmark: skiff (slirp4netns through skiff-slirp)
// against podman (its default rootless network: slirp4netns with podman's
// port forwarder) in the same run, on the same busybox image.
//
//   npm run bench -- net [--rounds N] [--gib N]
//
// 1. "first answer": from spawning `run -d -p PORT:80 busybox httpd` to the
//    first HTTP 200 on 127.0.0.1:PORT (polled every 2 ms) — start-up of the
//    container *and* its network and port forward.
// 2. "upload": N GiB (default 1) written from the host into a published port
//    of a container that reads it into /dev/null (busybox nc -ll -e cat);
//    timed from the first byte written to the container closing the
//    connection after the last. The same upload to the same sink run as a
//    plain host process on 127.0.0.1 is the floor.
// podman runs as bench/run.mjs runs it (private fuse-overlayfs store, no
// cgroups, inside a namespace that hides the hybrid cgroup2 mount); when it
// is missing or cannot publish a port here, its figures are skipped.
import { spawn, spawnSync } from "node:child_process";
import { chmodSync, copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { request } from "node:http";
import { connect, createServer } from "node:net";
import { availableParallelism, loadavg, tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { PodmanStore, cgroupShim, commOf, sh } from "./lib/contenders.mjs";
import { fixed, option, table } from "./lib/measure.mjs";

const repo = join(dirname(fileURLToPath(import.meta.url)), "..");
const args = process.argv.slice(2);
const rounds = Number(option(args, "rounds", "7"));
const gib = Number(option(args, "gib", "1"));
if (process.getuid() === 0) {
  console.error("run this benchmark as an unprivileged user: skiff is measured rootless");
  process.exit(2);
}

const work = mkdtempSync(join(tmpdir(), "skiff-bench-net-"));
const skiffEnv = { ...process.env, XDG_DATA_HOME: join(work, "data"), XDG_CONFIG_HOME: join(work, "config"), XDG_RUNTIME_DIR: join(work, "run") };
delete skiffEnv.NODE_EXTRA_CA_CERTS;
const skiff = (a) => sh(process.execPath, [join(repo, "bin", "skiff.js"), ...a], { env: skiffEnv });
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** busybox with the applets this benchmark uses, a page to serve and the upload sink. */
function imageTar() {
  const dir = join(work, "rootfs");
  for (const d of ["bin", "tmp", "www"]) mkdirSync(join(dir, d), { recursive: true });
  copyFileSync("/bin/busybox", join(dir, "bin", "busybox"));
  for (const a of ["sh", "cat", "httpd", "nc", "sleep", "true"]) symlinkSync("busybox", join(dir, "bin", a));
  writeFileSync(join(dir, "www", "index.html"), "ok\n");
  writeFileSync(join(dir, "sink"), "#!/bin/sh\necho ready\nexec cat > /dev/null\n");
  chmodSync(join(dir, "sink"), 0o755);
  const tar = join(work, "rootfs.tar");
  sh("tar", ["--owner=0", "--group=0", "--numeric-owner", "-C", dir, "-cf", tar, "."]);
  return tar;
}

function freePort() {
  return new Promise((resolve) => {
    const s = createServer().listen(0, "127.0.0.1", () => {
      const p = s.address().port;
      s.close(() => resolve(p));
    });
  });
}

function httpOk(port) {
  return new Promise((resolve) => {
    const req = request({ host: "127.0.0.1", port, path: "/", timeout: 1000 }, (res) => {
      res.resume();
      res.on("end", () => resolve(res.statusCode === 200));
    });
    req.on("error", () => resolve(false));
    req.on("timeout", () => req.destroy());
    req.end();
  });
}

/** ms from spawning the run command to the first HTTP 200 through the published port. */
async function firstAnswer(cmd, argv, env, port) {
  const t0 = performance.now();
  const child = spawn(cmd, argv, { env, stdio: "ignore" });
  const exited = new Promise((r) => child.on("exit", r));
  const deadline = t0 + 20000;
  while (!(await httpOk(port))) {
    if (performance.now() > deadline) throw new Error(`${argv.slice(-8).join(" ")}: no answer on ${port}`);
    await sleep(2);
  }
  const ms = performance.now() - t0;
  await exited;
  return ms;
}

/** Wait for the sink's "ready", then upload; ms from the first byte to the server's close. */
function upload(port, bytes) {
  return new Promise((resolve, reject) => {
    const chunk = Buffer.alloc(1 << 20, 0x5a);
    const s = connect(port, "127.0.0.1");
    let t0 = 0;
    let sent = 0;
    const pump = () => {
      while (sent < bytes) {
        sent += chunk.length;
        if (!s.write(chunk)) return void s.once("drain", pump);
      }
      s.end();
    };
    s.once("data", () => {
      t0 = performance.now();
      pump();
    });
    s.on("error", reject);
    s.on("close", () => (t0 && sent >= bytes ? resolve(performance.now() - t0) : reject(new Error("closed before the upload finished"))));
  });
}

async function uploadRetrying(port, bytes) {
  for (let i = 0; ; i++) {
    try {
      return await upload(port, bytes);
    } catch (e) {
      if (i > 100) throw e;
      await sleep(50); // the sink is not listening yet
    }
  }
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const best = (xs) => Math.min(...xs);

let shim;
let podman;
const cleanups = [];
try {
  for (const d of [skiffEnv.XDG_DATA_HOME, skiffEnv.XDG_CONFIG_HOME, skiffEnv.XDG_RUNTIME_DIR]) mkdirSync(d, { recursive: true, mode: 0o700 });
  skiff(["import", imageTar(), "netbench:latest"]);
  cleanups.push(() => {
    const ids = skiff(["ps", "-aq"]).split("\n").filter(Boolean);
    if (ids.length) skiff(["rm", "-f", ...ids]);
  });
  if (spawnSync("podman", ["--version"]).status === 0) {
    try {
      shim = await cgroupShim();
      podman = new PodmanStore(work, shim);
      const archive = join(work, "image.tar");
      skiff(["save", "-o", archive, "netbench:latest"]);
      podman.ok(["load", "-q", "-i", archive]);
      cleanups.push(() => podman.run(["rm", "-af", "-t", "0"]));
      // Can podman publish a port here at all?
      const port = await freePort();
      const [c, a] = podman.argv(["run", "-d", "--cgroups=disabled", "-p", `${port}:80`, "netbench", "httpd", "-f", "-p", "80", "-h", "/www"]);
      await firstAnswer(c, a, podman.env, port);
      podman.run(["rm", "-af", "-t", "0"]);
    } catch (e) {
      console.log(`podman figures skipped: ${String(e.message).split("\n")[0]}`);
      podman = undefined;
    }
  } else console.log("podman figures skipped: podman is not installed");

  const skiffRun = (port, cmd) => [process.execPath, [join(repo, "bin", "skiff.js"), "run", "-d", "-p", `${port}:80`, "netbench", ...cmd], skiffEnv];
  const podmanRun = (port, cmd) => [...podman.argv(["run", "-d", "--cgroups=disabled", "-p", `${port}:80`, "netbench", ...cmd]), podman.env];
  const contenders = { skiff: { run: skiffRun, rm: () => cleanups[0]() } };
  if (podman) contenders.podman = { run: podmanRun, rm: () => podman.run(["rm", "-af", "-t", "0"]) };

  // 1. From `run -d -p` to the first answered request (one warm-up each, then interleaved rounds).
  const answer = Object.fromEntries(Object.keys(contenders).map((k) => [k, []]));
  for (let r = 0; r < rounds + 1; r++) {
    for (const [name, c] of Object.entries(contenders)) {
      const port = await freePort();
      const ms = await firstAnswer(...c.run(port, ["httpd", "-f", "-p", "80", "-h", "/www"]), port);
      if (r > 0) answer[name].push(ms);
      c.rm();
    }
  }

  // 2. Upload through a published port (and to a host process: the floor).
  const bytes = gib * 2 ** 30;
  const up = Object.fromEntries([...Object.keys(contenders), "loopback"].map((k) => [k, []]));
  // The floor: the same sink (busybox nc and cat) as a plain host process.
  const floorPort = await freePort();
  const floor = spawn("/bin/busybox", ["nc", "-ll", "-p", String(floorPort), "-e", join(work, "rootfs", "sink")], { stdio: "ignore" });
  await uploadRetrying(floorPort, 1 << 20);
  const ups = Math.max(3, Math.ceil(rounds / 2));
  const sinks = {};
  for (const [name, c] of Object.entries(contenders)) {
    const port = await freePort();
    const [cmd, argv, env] = c.run(port, ["nc", "-ll", "-p", "80", "-e", "/sink"]);
    sh(cmd, argv, { env });
    sinks[name] = port;
    await uploadRetrying(port, 1 << 20); // listening, and warm
  }
  for (let r = 0; r < ups; r++) {
    for (const name of Object.keys(contenders)) up[name].push(await uploadRetrying(sinks[name], bytes));
    up.loopback.push(await upload(floorPort, bytes));
  }
  floor.kill();

  const ms = (x) => fixed(x, 1);
  const rate = (t) => `${fixed((bytes / 2 ** 20) / (t / 1000), 0)} MiB/s`;
  console.log(`Rootless networking, ${rounds} interleaved rounds (medians; best in brackets); Node ${process.version}, ${availableParallelism()} CPUs, load ${loadavg()[0].toFixed(1)}\n`);
  const names = Object.keys(contenders);
  table([
    ["run -d -p … httpd → first HTTP 200", "median ms", "best ms", ...(podman ? ["vs podman"] : [])],
    ...names.map((n) => [n, ms(median(answer[n])), `(${ms(best(answer[n]))})`, ...(podman ? [`${fixed(median(answer[n]) / median(answer.podman), 2)}×`] : [])]),
  ]);
  console.log("");
  table([
    [`upload ${gib} GiB into a published port`, "median ms", "throughput", ...(podman ? ["time vs podman"] : []), "vs loopback"],
    ...[...names, "loopback"].map((n) => [
      n === "loopback" ? "host loopback (floor)" : n,
      ms(median(up[n])),
      rate(median(up[n])),
      ...(podman ? [`${fixed(median(up[n]) / median(up.podman), 2)}×`] : []),
      `${fixed(median(up[n]) / median(up.loopback), 2)}×`,
    ]),
  ]);
} finally {
  for (const c of cleanups.reverse()) {
    try {
      c();
    } catch (e) {
      console.error(`cleanup: ${String(e.message).split("\n")[0]}`);
    }
  }
  spawnSync(process.execPath, [join(repo, "bin", "skiff.js"), "unshare", "rm", "-rf", join(work, "data")], { env: skiffEnv, stdio: "ignore" });
  let pause = 0;
  try {
    pause = Number(readFileSync(join(skiffEnv.XDG_RUNTIME_DIR, "skiff", "pause.pid"), "utf8").split(/\s+/)[0]);
  } catch {
    /* never started */
  }
  if (pause && commOf(pause).startsWith("skiff")) process.kill(pause, "SIGKILL");
  if (shim) {
    const [c, a] = shim.enter(["rm", "-rf", work]);
    spawnSync(c, a, { stdio: "ignore" });
    shim.stop();
  }
  rmSync(work, { recursive: true, force: true });
}
