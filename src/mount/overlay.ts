import { spawn } from "node:child_process";
import { mkdirSync, readFileSync } from "node:fs";
import { HostSetupError, SkiffError } from "../errors.js";
import { which } from "../userns/namespace.js";

// fuse-overlayfs mounts (DESIGN.md §3): made inside skiff's mount namespace,
// where they outlive the command that made them. fuse-overlayfs forks into
// the background once the mount is up, so a zero exit means it is there.

function escape(path: string): string {
  // fuse-overlayfs splits lowerdir at ':' and options at ',': escape both.
  return path.replace(/\\/g, "\\\\").replace(/:/g, "\\:").replace(/,/g, "\\,");
}

export interface OverlayMount {
  /** Bottom layer first (image order); fuse-overlayfs wants the top first. */
  lowerDirs: string[];
  upperDir?: string;
  workDir?: string;
  target: string;
}

export function overlayArgs(m: OverlayMount): string[] {
  const opts = [`lowerdir=${[...m.lowerDirs].reverse().map(escape).join(":")}`];
  if (m.upperDir && m.workDir) opts.push(`upperdir=${escape(m.upperDir)}`, `workdir=${escape(m.workDir)}`);
  return ["-o", opts.join(","), m.target];
}

/** Runs a command in skiff's mount namespace (directly when we are already inside it). */
export type NamespaceExec = (cmd: string[]) => Promise<{ code: number; stdout: string; stderr: string }>;

export const localExec: NamespaceExec = (cmd) =>
  new Promise((resolve, reject) => {
    const child = spawn(cmd[0]!, cmd.slice(1), { stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout!.on("data", (d: Buffer) => (stdout += d.toString()));
    child.stderr!.on("data", (d: Buffer) => (stderr += d.toString()));
    child.on("error", reject);
    child.on("close", (code) => resolve({ code: code ?? 1, stdout, stderr: stderr.trim() }));
  });

export async function mountOverlay(m: OverlayMount, exec: NamespaceExec = localExec): Promise<void> {
  const bin = which("fuse-overlayfs");
  if (!bin) throw new HostSetupError("fuse-overlayfs not found", "sudo apt-get install fuse-overlayfs, or set driver = vfs under [storage] in skiff.conf");
  mkdirSync(m.target, { recursive: true });
  if (m.lowerDirs.length === 0) throw new SkiffError("an overlay needs at least one layer");
  const r = await exec([bin, ...overlayArgs(m)]);
  if (r.code !== 0)
    throw new SkiffError(`mounting ${m.target} with fuse-overlayfs failed: ${r.stderr || `exit ${r.code}`}`, {
      hint: /fuse: device not found|\/dev\/fuse/.test(r.stderr) ? "make /dev/fuse usable (sudo chmod 0666 /dev/fuse) or use the vfs driver" : "skiff info shows what is missing",
    });
}

/** Mount points in a mount namespace (field 5 of its mountinfo, unescaped): ours, or the pause process's by pid. */
export function mountPoints(pid: number | "self" = "self"): Set<string> {
  const out = new Set<string>();
  let text = "";
  try {
    text = readFileSync(`/proc/${pid}/mountinfo`, "utf8");
  } catch {
    return out;
  }
  for (const line of text.split("\n")) {
    const f = line.split(" ");
    if (f[4]) out.add(f[4].replace(/\\([0-7]{3})/g, (_m, o: string) => String.fromCharCode(parseInt(o, 8))));
  }
  return out;
}

export function isMounted(target: string, pid: number | "self" = "self"): boolean {
  return mountPoints(pid).has(target);
}

/** Unmount (lazily: a process still inside keeps it alive until it leaves). */
export async function unmount(target: string, exec: NamespaceExec = localExec, pid: number | "self" = "self"): Promise<void> {
  if (!isMounted(target, pid)) return;
  const r = await exec(["umount", "-l", target]);
  if (r.code !== 0 && isMounted(target, pid)) throw new SkiffError(`unmounting ${target} failed: ${r.stderr.trim()}`);
}
