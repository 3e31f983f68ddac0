import { measureStats, type ContainerStats } from "../container/stats.js";
import type { Engine } from "./engine.js";

// `stats`: one reading of each container's CPU, memory and pids over an
// interval (src/container/stats.ts: from /proc where no cgroup is delegated).
// The CLI repeats it every second; the API streams it.

export interface StatsRequest {
  names?: string[];
  all?: boolean;
  intervalMs?: number;
}

export async function containerStats(engine: Engine, req: StatsRequest): Promise<ContainerStats[]> {
  const views = req.names?.length ? req.names.map((n) => engine.containers.get(n)) : engine.containers.list().filter((v) => req.all || v.state.Running);
  return measureStats(views, req.intervalMs ?? 500);
}

/**
 * One container's readings, one after another (the API's stats stream):
 * opening looks the container up, so a missing one is refused before an
 * answer has begun.
 */
export function openStats(engine: Engine, name: string): { id: string; read(intervalMs: number): Promise<ContainerStats> } {
  const id = engine.containers.get(name).record.Id;
  return { id, read: async (intervalMs) => (await measureStats([engine.containers.view(id)], intervalMs))[0]! };
}

export type { ContainerStats };
