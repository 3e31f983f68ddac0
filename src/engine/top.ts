import { spawnSync } from "node:child_process";
import { ConflictError, SkiffError } from "../errors.js";
import { containerPids } from "../container/service.js";
import type { Engine } from "./engine.js";

// `top`: the host's `ps` (default -ef), keeping only the container's
// processes, as Docker's daemon does; Titles and Processes as its API answers.

export interface TopResult {
  Titles: string[];
  Processes: string[][];
}

export function containerTop(engine: Engine, name: string, psArgs: string[] = []): TopResult {
  const view = engine.containers.get(name);
  if (!view.state.Running) throw new ConflictError(`container ${view.record.Id} is not running`);
  const pids = new Set(containerPids(view.state.Pid));
  const args = psArgs.length ? psArgs : ["-ef"];
  const r = spawnSync("ps", args, { encoding: "utf8" });
  if (r.status !== 0) throw new SkiffError(`ps ${args.join(" ")} failed: ${r.stderr.trim()}`, { status: 500 });
  const lines = r.stdout.trimEnd().split("\n");
  const titles = lines[0]!.trim().split(/\s+/);
  const pidCol = titles.indexOf("PID");
  if (pidCol < 0) throw new SkiffError("Couldn't find PID field in ps output");
  const processes: string[][] = [];
  for (const line of lines.slice(1)) {
    const f = line.trim().split(/\s+/);
    if (!pids.has(Number(f[pidCol]))) continue;
    // The last column (the command) may contain spaces.
    processes.push([...f.slice(0, titles.length - 1), f.slice(titles.length - 1).join(" ")]);
  }
  return { Titles: titles, Processes: processes };
}
