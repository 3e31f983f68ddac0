import { accessSync, constants, readFileSync, statfsSync, existsSync } from "node:fs";
import { join } from "node:path";

// Resource limits (--memory, --cpus, --pids-limit) need a cgroup v2 subtree
// delegated to the user (systemd's user@.service does this with Delegate=yes).
// Without one, skiff runs containers unlimited and says so once, as Podman does.

const CGROUP2_SUPER_MAGIC = 0x63677270;

export interface CgroupFacts {
  version: "v2" | "v1" | "hybrid" | "none";
  /** Mount point of the unified (v2) hierarchy, if any. */
  unifiedMount?: string;
  /** Our own cgroup v2 directory and whether we may create children there with these controllers. */
  delegated?: { path: string; controllers: string[] };
}

export function probeCgroups(): CgroupFacts {
  let version: CgroupFacts["version"] = "none";
  let unified: string | undefined;
  try {
    if (statfsSync("/sys/fs/cgroup").type === CGROUP2_SUPER_MAGIC) {
      version = "v2";
      unified = "/sys/fs/cgroup";
    } else if (existsSync("/sys/fs/cgroup/unified") && statfsSync("/sys/fs/cgroup/unified").type === CGROUP2_SUPER_MAGIC) {
      version = "hybrid";
      unified = "/sys/fs/cgroup/unified";
    } else if (existsSync("/sys/fs/cgroup")) {
      version = "v1";
    }
  } catch {
    version = "none";
  }
  const facts: CgroupFacts = { version, unifiedMount: unified };
  if (!unified) return facts;
  try {
    const line = readFileSync("/proc/self/cgroup", "utf8").split("\n").find((l) => l.startsWith("0::"));
    if (!line) return facts;
    const dir = join(unified, line.slice(3));
    accessSync(dir, constants.W_OK);
    accessSync(join(dir, "cgroup.subtree_control"), constants.W_OK);
    const controllers = readFileSync(join(dir, "cgroup.controllers"), "utf8").trim().split(/\s+/).filter(Boolean);
    if (controllers.length > 0) facts.delegated = { path: dir, controllers };
  } catch {
    /* not delegated */
  }
  return facts;
}
