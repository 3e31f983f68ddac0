import { readFileSync } from "node:fs";
import { homedir } from "node:os";
import { join } from "node:path";

// Where skiff keeps things (DESIGN.md §4). XDG variables are honoured so that
// tests and users with unusual homes can move everything; the ini config may
// move the storage root again (see config.ts).

export interface Paths {
  /** $XDG_DATA_HOME/skiff: blobs, layers, images, containers, volumes. */
  storageRoot: string;
  /** $XDG_CONFIG_HOME/skiff/skiff.conf */
  configFile: string;
  /** $XDG_RUNTIME_DIR/skiff, or /tmp/skiff-run-$UID when there is none. */
  runRoot: string;
  /** Whether runRoot is the /tmp fallback (info reports it). */
  runRootIsFallback: boolean;
}

/**
 * The user's uid on the host, also from inside skiff's user namespace (where
 * getuid() is 0): the runtime directory fallback and the locks in it must be
 * the same for a command and for its copy running in the namespace, and must
 * not be /tmp/skiff-run-0 for every user of a shared host.
 */
export function uid(): number {
  const id = process.getuid ? process.getuid() : 0;
  try {
    return hostId(readFileSync("/proc/self/uid_map", "utf8"), id);
  } catch {
    return id;
  }
}

/** The outside id of `id` by a /proc/PID/uid_map text ("inside outside count" lines). */
export function hostId(map: string, id: number): number {
  for (const line of map.split("\n")) {
    const [inside, outside, count] = line.trim().split(/\s+/).map(Number);
    if (inside === undefined || outside === undefined || count === undefined || Number.isNaN(count)) continue;
    if (id >= inside && id - inside < count) return outside + (id - inside);
  }
  return id;
}

export function home(env: NodeJS.ProcessEnv = process.env): string {
  return env.HOME || homedir();
}

export function defaultPaths(env: NodeJS.ProcessEnv = process.env): Paths {
  const h = home(env);
  const data = env.XDG_DATA_HOME || join(h, ".local", "share");
  const config = env.XDG_CONFIG_HOME || join(h, ".config");
  const runtime = env.XDG_RUNTIME_DIR;
  return {
    storageRoot: join(data, "skiff"),
    configFile: join(config, "skiff", "skiff.conf"),
    runRoot: runtime ? join(runtime, "skiff") : `/tmp/skiff-run-${uid()}`,
    runRootIsFallback: !runtime,
  };
}
