import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import type { SkiffEnv } from "../../helpers/cli.js";

// What the user-defined network tests look at from outside: the holder
// process and its namespace's interfaces (through /proc), and the store.

/** The network namespace holder's pid while it lives. */
export function holderPid(env: SkiffEnv): number | undefined {
  try {
    const [pid, start] = readFileSync(join(env.runRoot, "netns", "holder.pid"), "utf8").trim().split(/\s+/);
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return fields[0] !== "Z" && fields[19] === start ? Number(pid) : undefined;
  } catch {
    return undefined;
  }
}

/** Interface names in the holder's network namespace. */
export function holderInterfaces(pid: number): string[] {
  return readFileSync(`/proc/${pid}/net/dev`, "utf8")
    .split("\n")
    .slice(2)
    .map((l) => l.split(":")[0]!.trim())
    .filter(Boolean);
}

/** Living processes (not zombies) whose command line mentions word. */
export function processesNaming(word: string): number[] {
  const out: number[] = [];
  for (const pid of readdirSync("/proc").filter((n) => /^\d+$/.test(n))) {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
      if (/^[ZX]$/.test(stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3))) continue;
      if (readFileSync(`/proc/${pid}/cmdline`, "utf8").includes(word)) out.push(Number(pid));
    } catch {
      /* gone */
    }
  }
  return out;
}

/** Poll until check() holds (an event we cannot be told of), failing after a generous deadline. */
export async function until(what: string, check: () => boolean | Promise<boolean>, ms = 20000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** The leases file of a network, as the store has it. */
export function leases(env: SkiffEnv, id: string): Record<string, string> | undefined {
  try {
    return (JSON.parse(readFileSync(join(env.storageRoot, "networks", `${id}.leases.json`), "utf8")) as { byContainer: Record<string, string> }).byContainer;
  } catch {
    return undefined;
  }
}

/** A shell loop for inside a container: retry cmd until it succeeds (a server starting), at most ~10 s. */
export const retry = (cmd: string) => `for i in $(seq 100); do ${cmd} && break; sleep 0.1; done`;

/** The RSS in KiB of a process. */
export function rssKiB(pid: number): number {
  const m = /^VmRSS:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
  return m ? Number(m[1]) : 0;
}
