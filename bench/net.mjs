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
// 3. "container to container": N GiB (default 1) sent from one container to
//    another on one user-defined network, by a small static C program built
//    here (busybox nc's 4 KiB copies, not the network, would be measured);
//    timed by the sender from connect to the receiver's close after the last
//    byte. Addressed by IP: podman's CNI networks here have no name server.
// 4. "run --rm --network NAME busybox true": the whole command, network
//    set-up and tear-down included (nothing else on the network, so each run
//    starts the per-user network namespace: skiff's holder, podman's
//    rootless-netns).
// podman runs as bench/run.mjs runs it (private fuse-overlayfs store, no
// cgroups, inside a namespace that hides the hybrid cgroup2 mount); when it
// is missing or cannot publish a port here, its figures are skipped (and
// said why); its user-defined network is its own (`podman network create`).
import { spawn, spawnSync } from "node:child_process";
import { chmodSync, copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { request } from "node:http";
import { connect, createServer } from "node:net";
import { availableParallelism, loadavg, tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { PodmanStore, cgroupShim, commOf, rssKiB, sh } from "./lib/contenders.mjs";
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
  buildBlast(join(dir, "bin", "blast"));
  writeFileSync(join(dir, "www", "index.html"), "ok\n");
  writeFileSync(join(dir, "sink"), "#!/bin/sh\necho ready\nexec cat > /dev/null\n");
  chmodSync(join(dir, "sink"), 0o755);
  const tar = join(work, "rootfs.tar");
  sh("tar", ["--owner=0", "--group=0", "--numeric-owner", "-C", dir, "-cf", tar, "."]);
  return tar;
}

/** A sender and a receiver of bulk TCP data with 1 MiB reads and writes (static: it runs in the busybox image). */
const BLAST_C = `
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
static char buf[1 << 20];
int main(int argc, char **argv) {
  struct sockaddr_in a = {.sin_family = AF_INET};
  int one = 1;
  if (argc == 3 && !strcmp(argv[1], "recv")) {
    a.sin_port = htons(atoi(argv[2]));
    int l = socket(AF_INET, SOCK_STREAM, 0);
    setsockopt(l, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (bind(l, (struct sockaddr *)&a, sizeof a) || listen(l, 8)) return perror("listen"), 1;
    for (;;) {
      int c = accept(l, 0, 0);
      while (read(c, buf, sizeof buf) > 0) {}
      close(c);
    }
  }
  if (argc != 5 || strcmp(argv[1], "send")) return fprintf(stderr, "usage: blast recv PORT | blast send IP PORT BYTES\\n"), 2;
  a.sin_port = htons(atoi(argv[3]));
  inet_pton(AF_INET, argv[2], &a.sin_addr);
  long long left = atoll(argv[4]);
  struct timespec t0, t1;
  int s = socket(AF_INET, SOCK_STREAM, 0);
  for (int i = 0; connect(s, (struct sockaddr *)&a, sizeof a); i++) {
    if (i > 200) return perror("connect"), 1;
    close(s), s = socket(AF_INET, SOCK_STREAM, 0), usleep(20000);
  }
  clock_gettime(CLOCK_MONOTONIC, &t0);
  while (left > 0) {
    ssize_t n = write(s, buf, left < (long long)sizeof buf ? (size_t)left : sizeof buf);
    if (n <= 0) return perror("write"), 1;
    left -= n;
  }
  shutdown(s, SHUT_WR);
  while (read(s, buf, sizeof buf) > 0) {}
  clock_gettime(CLOCK_MONOTONIC, &t1);
  printf("%.1f\\n", (t1.tv_sec - t0.tv_sec) * 1e3 + (t1.tv_nsec - t0.tv_nsec) / 1e6);
  return 0;
}
`;

function buildBlast(out) {
  const src = join(work, "blast.c");
  writeFileSync(src, BLAST_C);
  sh("cc", ["-O2", "-static", "-o", out, src]);
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

  // 3. Container to container on one user-defined network.
  const c2c = Object.fromEntries(Object.keys(contenders).map((k) => [k, []]));
  const runOnNet = Object.fromEntries(Object.keys(contenders).map((k) => [k, []]));
  let holderRss;
  const nets = {
    skiff: {
      create: () => skiff(["network", "create", "benchnet"]),
      remove: () => skiff(["network", "rm", "benchnet"]),
      run: (a) => skiff(["run", ...a]),
      argv: (a) => [process.execPath, [join(repo, "bin", "skiff.js"), ...a], skiffEnv],
      ip: (name) => skiff(["inspect", "-f", "{{.NetworkSettings.Networks.benchnet.IPAddress}}", name]).trim(),
      rm: (name) => skiff(["rm", "-f", name]),
    },
  };
  if (podman)
    nets.podman = {
      create: () => podman.ok(["network", "create", "benchnet"]),
      remove: () => podman.run(["network", "rm", "-f", "benchnet"]),
      run: (a) => podman.ok(["run", "--cgroups=disabled", ...a]),
      argv: (a) => [...podman.argv(a[0] === "run" ? ["run", "--cgroups=disabled", ...a.slice(1)] : a), podman.env],
      ip: (name) => podman.ok(["inspect", "-f", "{{.NetworkSettings.Networks.benchnet.IPAddress}}", name]).trim(),
      rm: (name) => podman.run(["rm", "-f", "-t", "0", name]),
    };
  const unmeasured = {};
  for (const [name, n] of Object.entries(nets)) {
    try {
      n.create();
      n.run(["-d", "--name", "blast-recv", "--network", "benchnet", "netbench", "blast", "recv", "9000"]);
      const ip = n.ip("blast-recv");
      if (name === "skiff") {
        const pid = Number(readFileSync(join(skiffEnv.XDG_RUNTIME_DIR, "skiff", "netns", "holder.pid"), "utf8").split(" ")[0]);
        const slirp = spawnSync("pgrep", ["-f", `slirp4netns --configure .* ${pid} tap0`], { encoding: "utf8" }).stdout.trim().split("\n").filter(Boolean).map(Number);
        holderRss = { holder: rssKiB(pid), slirp: slirp.reduce((t, p) => t + (rssKiB(p) ?? 0), 0) };
      }
      const send = (bytes) => Number(n.run(["--rm", "--network", "benchnet", "netbench", "blast", "send", ip, "9000", String(bytes)]).trim().split("\n").pop());
      send(1 << 20); // warm
      for (let r = 0; r < ups; r++) c2c[name].push(send(bytes));
      n.rm("blast-recv");
      // 4. run --rm --network NAME true, nothing else on the network.
      for (let r = 0; r < rounds + 1; r++) {
        const [cmd, argv, env] = n.argv(["run", "--rm", "--network", "benchnet", "netbench", "true"]);
        const t0 = performance.now();
        sh(cmd, argv, { env });
        if (r > 0) runOnNet[name].push(performance.now() - t0);
      }
      n.remove();
    } catch (e) {
      unmeasured[name] = String(e.message).split("\n").slice(0, 2).join(" ");
      for (const undo of [() => n.rm("blast-recv"), () => n.remove()])
        try {
          undo();
        } catch {
          /* not made */
        }
    }
  }

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
  const measured = Object.keys(nets).filter((n) => c2c[n].length && runOnNet[n].length);
  const vsPodman = measured.includes("podman");
  console.log("");
  for (const [n, why] of Object.entries(unmeasured)) console.log(`${n} not measured on a user-defined network: ${why}`);
  if (!podman) console.log("podman not measured on a user-defined network: podman is not available here (see above)");
  table([
    [`container → container, ${gib} GiB, one user network`, "median ms", "throughput", ...(vsPodman ? ["throughput vs podman"] : [])],
    ...measured.map((n) => [n, ms(median(c2c[n])), rate(median(c2c[n])), ...(vsPodman ? [`${fixed(median(c2c.podman) / median(c2c[n]), 2)}×`] : [])]),
  ]);
  console.log("");
  table([
    ["run --rm --network NAME busybox true", "median ms", "best ms", ...(vsPodman ? ["vs podman"] : [])],
    ...measured.map((n) => [n, ms(median(runOnNet[n])), `(${ms(best(runOnNet[n]))})`, ...(vsPodman ? [`${fixed(median(runOnNet[n]) / median(runOnNet.podman), 2)}×`] : [])]),
  ]);
  if (holderRss) console.log(`\nskiff's network namespace with one idle container: holder ${holderRss.holder} KiB + slirp4netns ${holderRss.slirp} KiB = ${holderRss.holder + holderRss.slirp} KiB RSS`);
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
