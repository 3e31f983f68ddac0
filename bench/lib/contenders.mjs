// What the container benchmarks compare skiff with: podman and bare crun,
// each with a private store or state directory, and the busybox image they
// all run. Nothing is downloaded: the image is /bin/busybox (static) with a
// few applet links.
import { spawn, spawnSync } from "node:child_process";
import { mkdirSync, readFileSync, symlinkSync, copyFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";

export function sh(cmd, argv, opts = {}) {
  const r = spawnSync(cmd, argv, { encoding: "utf8", maxBuffer: 1 << 26, ...opts });
  if (r.status !== 0) throw new Error(`${cmd} ${argv.join(" ")} failed (${r.status}): ${r.stderr}`);
  return r.stdout;
}

const APPLETS = ["sh", "true", "sleep", "cat", "ls", "echo", "ps"];

/** A root filesystem tar (owned by root, as an image's is) holding busybox. */
export function busyboxRootfsTar(work) {
  const dir = join(work, "busybox-rootfs");
  mkdirSync(join(dir, "bin"), { recursive: true });
  mkdirSync(join(dir, "tmp"), { recursive: true });
  copyFileSync("/bin/busybox", join(dir, "bin", "busybox"));
  for (const a of APPLETS) symlinkSync("busybox", join(dir, "bin", a));
  const tar = join(work, "busybox-rootfs.tar");
  sh("tar", ["--owner=0", "--group=0", "--numeric-owner", "-C", dir, "-cf", tar, "."]);
  return { dir, tar };
}

/**
 * A user and mount namespace (single id: uid 0 inside is us) that hides the
 * cgroup2 mount of a hybrid host behind a tmpfs. crun 1.8 refuses hybrid
 * hosts whose cgroup2 hierarchy has a controller (here hugetlb) even with
 * cgroups disabled; podman runs crun inside its own namespace in the same
 * way. Commands join it with nsenter, as podman joins its pause process.
 */
export async function cgroupShim() {
  const child = spawn("unshare", ["-Urm", "sh", "-c", "mount -t tmpfs none /sys/fs/cgroup/unified 2>/dev/null; echo ready; exec sleep 100000"], {
    stdio: ["ignore", "pipe", "inherit"],
  });
  await new Promise((resolve, reject) => {
    child.stdout.once("data", resolve);
    child.once("exit", (code) => reject(new Error(`unshare exited ${code}`)));
  });
  const enter = (argv) => ["nsenter", ["-t", String(child.pid), "-U", "-m", "--preserve-credentials", ...argv]];
  return { pid: child.pid, enter, stop: () => child.kill("SIGKILL") };
}

export class PodmanStore {
  constructor(work, shim) {
    this.root = join(work, "podman-root");
    this.runRoot = join(work, "podman-run");
    this.xdg = join(work, "podman-xdg");
    for (const d of [this.root, this.runRoot, this.xdg]) mkdirSync(d, { recursive: true });
    this.shim = shim;
    // podman believes it is in its own namespace already (it is: the shim's).
    this.env = { ...process.env, XDG_RUNTIME_DIR: this.xdg, _CONTAINERS_USERNS_CONFIGURED: "done", _CONTAINERS_ROOTLESS_UID: String(process.getuid()) };
  }

  /** Private store on fuse-overlayfs, as skiff's; no cgroups (none are delegated here). */
  argv(args) {
    return this.shim.enter([
      "podman", "--root", this.root, "--runroot", this.runRoot, "--storage-driver", "overlay",
      "--storage-opt", "overlay.mount_program=/usr/bin/fuse-overlayfs", "--cgroup-manager", "cgroupfs", "--events-backend", "file", ...args,
    ]);
  }

  run(args) {
    const [cmd, argv] = this.argv(args);
    return spawnSync(cmd, argv, { encoding: "utf8", env: this.env, stdio: ["ignore", "pipe", "pipe"] });
  }

  ok(args) {
    const r = this.run(args);
    if (r.status !== 0) throw new Error(`podman ${args.join(" ")} failed (${r.status}): ${r.stderr}`);
    return r.stdout;
  }
}

/** An OCI bundle for `crun run`: the busybox tree, a spec from `crun spec` trimmed to what the shim allows. */
export function crunBundle(work, rootfsDir, args) {
  const bundle = join(work, "crun-bundle");
  mkdirSync(bundle, { recursive: true });
  sh("crun", ["spec"], { cwd: bundle });
  const spec = JSON.parse(readFileSync(join(bundle, "config.json"), "utf8"));
  spec.root = { path: rootfsDir, readonly: true };
  spec.process.terminal = false;
  spec.process.args = args;
  delete spec.linux.resources;
  // Host network (as skiff's default and podman --network host): no network
  // namespace, so /sys is bound rather than mounted; no gid= on devpts (one id mapped).
  spec.linux.namespaces = spec.linux.namespaces.filter((n) => n.type !== "network");
  spec.mounts = spec.mounts.filter((m) => m.type !== "cgroup");
  for (const m of spec.mounts) {
    if (m.options) m.options = m.options.filter((o) => !o.startsWith("gid="));
    if (m.type === "sysfs") Object.assign(m, { type: "bind", source: "/sys", options: ["rbind", "nosuid", "noexec", "nodev", "ro"] });
  }
  writeFileSync(join(bundle, "config.json"), JSON.stringify(spec));
  return bundle;
}

/** Resident memory of a process (VmRSS, KiB), or undefined. */
export function rssKiB(pid) {
  try {
    return Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"))?.[1]);
  } catch {
    return undefined;
  }
}

export function parentOf(pid) {
  try {
    return Number(/PPid:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, "utf8"))?.[1]);
  } catch {
    return undefined;
  }
}

export function commOf(pid) {
  try {
    return readFileSync(`/proc/${pid}/comm`, "utf8").trim();
  } catch {
    return "";
  }
}
