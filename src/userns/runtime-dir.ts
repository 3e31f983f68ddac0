import { lstatSync, mkdirSync, chmodSync } from "node:fs";
import { dirname } from "node:path";
import { HostSetupError } from "../errors.js";
import type { Paths } from "../config/paths.js";

// $XDG_RUNTIME_DIR/skiff holds the pause pid, locks and monitor sockets. Hosts
// without logind (CI runners, containers, HPC nodes) have no XDG_RUNTIME_DIR;
// like Podman we then use a private directory in /tmp, refusing one that
// someone else created or that is a symlink.

export function ensureRunRoot(paths: Paths, uid: number): string {
  const dir = paths.runRoot;
  try {
    if (paths.runRootIsFallback) {
      try {
        mkdirSync(dir, { mode: 0o700 });
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== "EEXIST") throw e;
      }
      const st = lstatSync(dir);
      if (!st.isDirectory() || st.uid !== uid)
        throw new HostSetupError(
          `runtime directory ${dir} is not a directory owned by you`,
          `remove it, or set XDG_RUNTIME_DIR to a private directory you own`,
        );
      if ((st.mode & 0o077) !== 0) chmodSync(dir, 0o700);
    } else {
      mkdirSync(dir, { recursive: true, mode: 0o700 });
    }
  } catch (e) {
    if (e instanceof HostSetupError) throw e;
    const err = e as NodeJS.ErrnoException;
    throw new HostSetupError(
      `cannot use runtime directory ${dir}: ${err.code === "EACCES" ? "permission denied" : err.message}`,
      paths.runRootIsFallback
        ? `make /tmp writable, or set XDG_RUNTIME_DIR to a private directory you own`
        : `XDG_RUNTIME_DIR (${dirname(dir)}) must be a directory you can write; unset it to use /tmp/skiff-run-${uid}`,
    );
  }
  return dir;
}
