import { spawnSync, type SpawnSyncReturns } from "node:child_process";
import { mkdirSync } from "node:fs";
import { join } from "node:path";

// podman as the reference implementation, with its own private store under
// a test's temporary directory so tests never share (or wipe) the user's.

export const hasPodman = spawnSync("podman", ["--version"]).status === 0;

export class Podman {
  readonly root: string;
  readonly runRoot: string;

  constructor(base: string) {
    this.root = join(base, "podman-root");
    this.runRoot = join(base, "podman-run");
    mkdirSync(this.root, { recursive: true });
    mkdirSync(this.runRoot, { recursive: true });
  }

  /** Global flags: a private store; vfs keeps it independent of fuse; no cgroups (none are delegated here). */
  args(): string[] {
    return ["--root", this.root, "--runroot", this.runRoot, "--storage-driver", "vfs", "--cgroup-manager", "cgroupfs", "--events-backend", "file"];
  }

  run(args: string[], input?: Buffer | string): SpawnSyncReturns<string> {
    return spawnSync("podman", [...this.args(), ...args], { encoding: "utf8", input, maxBuffer: 1 << 30 });
  }

  ok(args: string[], input?: Buffer | string): string {
    const r = this.run(args, input);
    if (r.status !== 0) throw new Error(`podman ${args.join(" ")} failed (${r.status}): ${r.stderr}`);
    return r.stdout;
  }

  /** Remove the store (its files belong to subordinate ids: delete inside podman's namespace). */
  cleanup(): void {
    spawnSync("podman", [...this.args(), "unshare", "rm", "-rf", this.root, this.runRoot], { stdio: "ignore" });
  }
}
