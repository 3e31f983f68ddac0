import { spawnSync } from "node:child_process";
import { accessSync, constants } from "node:fs";
import { which } from "../userns/namespace.js";

// fuse-overlayfs needs the binary and a /dev/fuse the user may open. Hosts
// booted without udev leave /dev/fuse at 0600 root (DESIGN.md §6b).

/**
 * The fuse device to probe. SKIFF_FUSE_DEVICE points the probe elsewhere, so
 * the fallback to the vfs driver can be seen on a host where fuse works.
 */
export function fuseDevice(): string {
  return process.env.SKIFF_FUSE_DEVICE || "/dev/fuse";
}

export interface FuseFacts {
  fuseOverlayfs?: string;
  version?: string;
  devFuse: "ok" | "missing" | "no-access";
  fusermount?: string;
}

export function probeFuse(): FuseFacts {
  const fuseOverlayfs = which("fuse-overlayfs");
  let version: string | undefined;
  if (fuseOverlayfs) {
    const r = spawnSync(fuseOverlayfs, ["--version"], { encoding: "utf8" });
    version = /fuse-overlayfs: version (\S+)/.exec(`${r.stdout}${r.stderr}`)?.[1];
  }
  let devFuse: FuseFacts["devFuse"] = "ok";
  try {
    accessSync(fuseDevice(), constants.R_OK | constants.W_OK);
  } catch (e) {
    devFuse = (e as NodeJS.ErrnoException).code === "ENOENT" ? "missing" : "no-access";
  }
  return { fuseOverlayfs, version, devFuse, fusermount: which("fusermount3") ?? which("fusermount") };
}

/** Whether fuse-overlayfs can be used here (cheap: no version probe). */
export function fuseUsable(): boolean {
  if (!which("fuse-overlayfs")) return false;
  try {
    accessSync(fuseDevice(), constants.R_OK | constants.W_OK);
    return true;
  } catch {
    return false;
  }
}
