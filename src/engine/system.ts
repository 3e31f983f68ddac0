import type { Engine } from "./engine.js";

// `system migrate`: end the pause process that holds skiff's user namespace,
// so the next command makes a new one with the current /etc/subuid and
// /etc/subgid ranges. Containers keep running in the namespace they have.

export function migrate(engine: Engine): boolean {
  const pid = engine.userns.livePid();
  if (!pid) return false;
  try {
    process.kill(pid, "SIGTERM");
    return true;
  } catch {
    return false;
  }
}
