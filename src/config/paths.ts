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

export function uid(): number {
  return process.getuid ? process.getuid() : 0;
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
