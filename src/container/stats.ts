import { readFileSync } from "node:fs";
import { containerPids, type ContainerView } from "./service.js";

// `stats` without a delegated cgroup (DESIGN.md §6): what /proc tells anyone
// about a container's processes. CPU is the sum of their utime + stime over a
// sampling interval; memory the sum of their resident sets (shared pages
// counted once per process, so an upper bound of what a memory cgroup would
// charge); PIDs how many there are. Network and block I/O need the cgroup
// (or /proc/<pid>/io, which a user may not read for subordinate ids): unknown.

/** Clock ticks per second (USER_HZ): 100 on every Linux ABI Node runs on. */
const USER_HZ = 100;

export interface ContainerSample {
  /** Host pids in the container's pid namespace, init first. */
  pids: number[];
  /** utime + stime of each of those processes, in clock ticks. */
  ticks: Map<number, number>;
  /** Sum of VmRSS, bytes. */
  rssBytes: number;
}

/** CPU time as Docker's stats report it: the container's and the whole system's, in nanoseconds, at a moment. */
export interface CpuReading {
  /** When it was taken (ms since the epoch). */
  at: number;
  /** CPU the container's processes used, ns (Docker's cpu_usage.total_usage). */
  totalNs: number;
  /** Of which in the kernel and in user space. */
  kernelNs: number;
  userNs: number;
  /** CPU every processor spent, busy or idle, ns (Docker's system_cpu_usage). */
  systemNs: number;
}

export interface ContainerStats {
  view: ContainerView;
  /** Percent of one CPU (Docker's CPU %: 200% is two CPUs busy). */
  cpuPercent: number;
  /** The readings the percentage comes from (the API's cpu_stats and precpu_stats). */
  cpu: CpuReading;
  precpu: CpuReading;
  onlineCpus: number;
  memoryBytes: number;
  memoryLimitBytes: number;
  pids: number;
  /** Network and block I/O counters, when something can read them. */
  netIO?: { rx: number; tx: number };
  blockIO?: { read: number; write: number };
}

/** utime and stime of a process, in clock ticks. */
function timesOf(pid: number): { user: number; system: number } {
  try {
    const s = readFileSync(`/proc/${pid}/stat`, "utf8");
    // Fields after the command (which may hold spaces and parentheses): state is field 3, utime 14, stime 15.
    const f = s.slice(s.lastIndexOf(")") + 2).split(" ");
    return { user: Number(f[11]) || 0, system: Number(f[12]) || 0 };
  } catch {
    return { user: 0, system: 0 };
  }
}

function ticksOf(pid: number): number {
  const t = timesOf(pid);
  return t.user + t.system;
}

const NS_PER_TICK = 1e9 / USER_HZ;

/** The first line of /proc/stat: every processor's time in every state, summed (as runc reads system_cpu_usage). */
function systemTicks(): number {
  try {
    const line = readFileSync("/proc/stat", "utf8").split("\n", 1)[0]!;
    return line.split(/\s+/).slice(1, 8).reduce((sum, v) => sum + (Number(v) || 0), 0);
  } catch {
    return 0;
  }
}

/** Processors online (/proc/stat's cpuN lines), as Docker's online_cpus. */
function onlineCpus(): number {
  try {
    return readFileSync("/proc/stat", "utf8").split("\n").filter((l) => /^cpu\d+ /.test(l)).length || 1;
  } catch {
    return 1;
  }
}

function cpuReading(pids: number[], at: number): CpuReading {
  let user = 0;
  let kernel = 0;
  for (const pid of pids) {
    const t = timesOf(pid);
    user += t.user;
    kernel += t.system;
  }
  return { at, totalNs: (user + kernel) * NS_PER_TICK, kernelNs: kernel * NS_PER_TICK, userNs: user * NS_PER_TICK, systemNs: systemTicks() * NS_PER_TICK };
}

function rssOf(pid: number): number {
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
    return m ? Number(m[1]) * 1024 : 0;
  } catch {
    return 0;
  }
}

export function sampleContainer(view: ContainerView): ContainerSample {
  const pids = view.state.Running && view.state.Pid ? containerPids(view.state.Pid) : [];
  const ticks = new Map<number, number>();
  let rssBytes = 0;
  for (const pid of pids) {
    ticks.set(pid, ticksOf(pid));
    rssBytes += rssOf(pid);
  }
  return { pids, ticks, rssBytes };
}

/** The host's memory: the limit Docker shows for a container without one. */
export function hostMemoryBytes(): number {
  try {
    return Number(/MemTotal:\s+(\d+) kB/.exec(readFileSync("/proc/meminfo", "utf8"))?.[1] ?? 0) * 1024;
  } catch {
    return 0;
  }
}

/**
 * One reading per container: two samples `intervalMs` apart (Docker's
 * --no-stream also compares two readings).
 */
export async function measureStats(views: ContainerView[], intervalMs = 500): Promise<ContainerStats[]> {
  const before = views.map(sampleContainer);
  const precpu = before.map((b) => cpuReading(b.pids, Date.now()));
  const t0 = performance.now();
  await new Promise((r) => setTimeout(r, intervalMs));
  const seconds = Math.max((performance.now() - t0) / 1000, 1e-3);
  const limit = hostMemoryBytes();
  const cpus = onlineCpus();
  return views.map((view, i) => {
    const after = sampleContainer(view);
    // A process born in between spent all its ticks in the interval; one that died took its own with it.
    let delta = 0;
    for (const [pid, t] of after.ticks) delta += Math.max(0, t - (before[i]!.ticks.get(pid) ?? 0));
    return {
      view,
      cpuPercent: Math.max(0, (delta / USER_HZ / seconds) * 100),
      cpu: cpuReading(after.pids, Date.now()),
      precpu: precpu[i]!,
      onlineCpus: cpus,
      memoryBytes: after.rssBytes,
      memoryLimitBytes: view.state.Running ? limit : 0,
      pids: after.pids.length,
    };
  });
}
