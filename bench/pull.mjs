#!/usr/bin/env node
// Pull benchmark: a cold `skiff pull` of a ~300 MB, five-layer image from a
// registry on 127.0.0.1, against `podman pull` (private store) and
// `skopeo copy docker://… dir:…` (download and verify only, no unpacking) and
// GNU tar unpacking the same gzip layers from local files (no download, no
// digests): the two floors any puller stands on, in interleaved rounds of the
// same run.
//
//   npm run bench -- pull [--reps 3] [--work DIR] [--podman-driver overlay|vfs]
//
// The image is generated once under --work (bench/lib/pull-image.mjs) and
// pushed with skopeo to a fresh registry each run. Every pull starts from an
// empty store; skiff's user namespace (its pause process) already exists, as
// podman's does, so neither pays for creating it. Stores are written to the
// same filesystem and `sync`ed before each timed pull so one contender's
// write-back does not land on the next one's time.
//
// Times are wall-clock medians of whole commands (Node's start-up included for
// skiff), with the CPU time they used (less swayed by a busy machine than
// wall-clock time). Peak RSS comes from /usr/bin/time (the largest process of the
// command's waited-for tree: for skiff, the pull running in its namespace).
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { option, table, fixed } from "./lib/measure.mjs";
import { benchImage } from "./lib/pull-image.mjs";
import { startRegistry } from "./lib/registry.mjs";

const repo = join(dirname(fileURLToPath(import.meta.url)), "..");
const args = process.argv.slice(2);
const reps = Number(option(args, "reps", "3"));
const work = option(args, "work", join(tmpdir(), `skiff-bench-pull-${process.getuid()}`));
const podmanDriver = option(args, "podman-driver", "overlay");
const skiff = join(repo, "bin", "skiff.js");

function sh(cmd, argv, opts = {}) {
  const r = spawnSync(cmd, argv, { encoding: "utf8", maxBuffer: 1 << 26, ...opts });
  if (r.status !== 0) throw new Error(`${cmd} ${argv.join(" ")} failed (${r.status}): ${r.stderr}${r.stdout}`);
  return r.stdout;
}

/** Run a command under /usr/bin/time: { ms, cpuS (user + system), rssMB }. */
function timed(cmd, argv, env) {
  const out = join(work, "time.out");
  sh("sync", []);
  const t0 = performance.now();
  sh("/usr/bin/time", ["-f", "%U %S %M", "-o", out, cmd, ...argv], { env });
  const ms = performance.now() - t0;
  const [user, sys, rss] = readFileSync(out, "utf8").trim().split("\n").at(-1).split(" ").map(Number);
  return { ms, cpuS: user + sys, rssMB: rss / 1024 };
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[s.length >> 1] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

async function main() {
  mkdirSync(work, { recursive: true });
  const t0 = performance.now();
  const image = await benchImage(repo, join(work, "image"));
  const made = performance.now() - t0;
  console.log(`image: ${image.layers.length} layers, ${image.compressedMB} MB compressed, ${image.unpackedMB} MB unpacked${made > 1000 ? ` (generated in ${fixed(made / 1000)} s)` : " (cached)"}`);
  for (const l of image.layers) console.log(`  ${l.what}: ${l.compressedMB} MB → ${l.unpackedMB} MB`);

  const regDir = mkdtempSync(join(work, "registry-"));
  const reg = await startRegistry(regDir);
  const name = `${reg.host}/bench/pull:1`;
  try {
    sh("skopeo", ["copy", "--quiet", "--dest-tls-verify=false", `oci:${join(work, "image")}:bench`, `docker://${name}`]);

    const base = { ...process.env };
    delete base.NODE_EXTRA_CA_CERTS;
    const xdgRun = join(work, "xdg-run");
    mkdirSync(xdgRun, { recursive: true, mode: 0o700 });
    const skiffEnv = (dir) => ({ ...base, XDG_DATA_HOME: join(dir, "data"), XDG_CONFIG_HOME: join(dir, "config"), XDG_RUNTIME_DIR: xdgRun });
    const podmanArgs = (dir) => ["--root", join(dir, "root"), "--runroot", join(dir, "run"), "--storage-driver", podmanDriver, "--cgroup-manager", "cgroupfs", "--events-backend", "file"];
    // Create skiff's pause process (podman's exists after its first command anyway).
    const warm = join(work, "skiff-warm");
    sh(process.execPath, [skiff, "unshare", "true"], { env: skiffEnv(warm) });
    sh("podman", [...podmanArgs(join(work, "podman-warm")), "info"], { stdio: "ignore" });

    const runs = { skiff: [], podman: [], skopeo: [], "gnu tar -xzf": [] };
    const manifest = JSON.parse(readFileSync(join(work, "image", "blobs", "sha256", image.manifest.slice(7)), "utf8"));
    const layerFiles = manifest.layers.map((l) => join(work, "image", "blobs", "sha256", l.digest.slice(7)));
    for (let i = 0; i < reps; i++) {
      const s = join(work, `skiff-${i}`);
      runs.skiff.push(timed(process.execPath, [skiff, "pull", "-q", name], skiffEnv(s)));
      sh(process.execPath, [skiff, "unshare", "rm", "-rf", join(s, "data")], { env: skiffEnv(s) });
      rmSync(s, { recursive: true, force: true });

      const p = join(work, `podman-${i}`);
      runs.podman.push(timed("podman", [...podmanArgs(p), "pull", "-q", "--tls-verify=false", name], base));
      // The overlay driver keeps its home mounted in podman's namespace: unmount it there first.
      sh("podman", [...podmanArgs(p), "unshare", "sh", "-c", `umount -R ${join(p, "root", podmanDriver)} 2>/dev/null; rm -rf ${join(p, "root")} ${join(p, "run")}`]);
      rmSync(p, { recursive: true, force: true });

      // The floor for unpacking alone: GNU tar over the same blobs, one layer after another, no network, no digests.
      const t = join(work, `tar-${i}`);
      mkdirSync(t);
      const script = layerFiles.map((f, n) => `mkdir ${t}/${n} && tar -xzf ${f} -C ${t}/${n}`).join(" && ");
      runs["gnu tar -xzf"].push(timed("sh", ["-c", script], base));
      rmSync(t, { recursive: true, force: true });

      const k = join(work, `skopeo-${i}`);
      runs.skopeo.push(timed("skopeo", ["copy", "--quiet", "--src-tls-verify=false", `docker://${name}`, `dir:${k}`], base));
      rmSync(k, { recursive: true, force: true });
      console.log(`round ${i + 1}: ${Object.entries(runs).map(([n, r]) => `${n} ${fixed(r.at(-1).ms / 1000, 2)} s`).join(", ")}`);
    }

    const med = Object.fromEntries(
      Object.entries(runs).map(([n, r]) => [n, { ms: median(r.map((x) => x.ms)), cpuS: median(r.map((x) => x.cpuS)), rssMB: Math.max(...r.map((x) => x.rssMB)) }]),
    );
    console.log(`\ncold pull, median of ${reps}; load average ${readFileSync("/proc/loadavg", "utf8").split(" ").slice(0, 3).join(" ")}; podman storage driver ${podmanDriver}`);
    table([
      ["contender", "median s", "MB/s (compressed)", "CPU s (user+sys)", "peak RSS MB", "time × skiff's"],
      ...Object.entries(med).map(([n, m]) => [n, fixed(m.ms / 1000, 2), fixed(image.compressedMB / (m.ms / 1000)), fixed(m.cpuS, 1), fixed(m.rssMB, 0), fixed(m.ms / med.skiff.ms, 2)]),
    ]);
    console.log(
      `\nskiff / podman = ${fixed(med.skiff.ms / med.podman.ms, 2)}   skiff / skopeo (download only) = ${fixed(med.skiff.ms / med.skopeo.ms, 2)}   ` +
        `skiff / gnu tar (unpack only) = ${fixed(med.skiff.ms / med["gnu tar -xzf"].ms, 2)}   skiff peak RSS ${fixed(med.skiff.rssMB, 0)} MB`,
    );
    writeFileSync(join(work, "results.json"), JSON.stringify({ image, reps, podmanDriver, runs, median: med }, null, 2));
    console.log(`(details: ${join(work, "results.json")})`);
    sh(process.execPath, [skiff, "unshare", "rm", "-rf", join(warm, "data")], { env: skiffEnv(warm) });
  } finally {
    await reg.stop();
    rmSync(regDir, { recursive: true, force: true });
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
