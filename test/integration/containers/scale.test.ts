import { readFileSync, readdirSync, readlinkSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { SkiffEnv, isRoot } from "../../helpers/cli.js";
import { loadBusybox } from "../../helpers/busybox.js";

// Fifty detached containers at once: each in its own pid namespace, all
// listed by `ps` in reasonable time, and nothing left behind after rm -f
// (no monitor, no mount in skiff's namespace).

const COUNT = 50;
const BATCH = 5; // two CPUs: a few CLIs at a time
let env: SkiffEnv;

beforeAll(async () => {
  env = new SkiffEnv();
  await loadBusybox(env);
}, 60_000);
afterAll(async () => {
  // A failed run must not leave fifty monitors behind.
  const left = (await env?.run(["ps", "-aq"]))?.stdout.split("\n").filter(Boolean) ?? [];
  if (left.length) await env.run(["rm", "-f", ...left], { timeout: 300_000 });
  env?.cleanup();
}, 400_000);

async function inBatches<T>(items: T[], fn: (item: T) => Promise<void>): Promise<void> {
  for (let i = 0; i < items.length; i += BATCH) await Promise.all(items.slice(i, i + BATCH).map(fn));
}

/** Live processes (not zombies) whose command line mentions this test's directory. */
function ourProcesses(comm: string): number[] {
  const out: number[] = [];
  for (const name of readdirSync("/proc")) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, "utf8");
      if (stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3) === "Z") continue;
      if (readFileSync(`/proc/${name}/comm`, "utf8").trim() !== comm) continue;
      if (readFileSync(`/proc/${name}/cmdline`, "utf8").includes(env.base)) out.push(Number(name));
    } catch {
      /* gone */
    }
  }
  return out;
}

describe.skipIf(isRoot)("fifty detached containers", () => {
  test("run -d, separate pid namespaces, ps, rm -f, nothing left", async () => {
    const names = Array.from({ length: COUNT }, (_, i) => `many-${String(i).padStart(2, "0")}`);
    const t0 = Date.now();
    await inBatches(names, async (n) => {
      await env.ok(["run", "-d", "--name", n, "busybox", "sleep", "300"], { timeout: 60_000 });
    });
    console.log(`run -d × ${COUNT}: ${Date.now() - t0} ms`);

    // Each container's process is pid 1 of a pid namespace of its own.
    const pids = (await env.ok(["inspect", "-f", "{{.State.Pid}}", ...names])).trim().split("\n").map(Number);
    expect(pids).toHaveLength(COUNT);
    const namespaces = new Set<string>();
    for (const pid of pids) {
      const status = readFileSync(`/proc/${pid}/status`, "utf8");
      expect(/^NSpid:\s+\d+\s+(\d+)$/m.exec(status)?.[1]).toBe("1");
      namespaces.add(readlinkSync(`/proc/${pid}/ns/pid`));
    }
    expect(namespaces.size).toBe(COUNT);
    // And from inside, for a few of them.
    for (const n of [names[0]!, names[24]!, names[49]!])
      expect(await env.ok(["exec", n, "cat", "/proc/1/cmdline"])).toBe("sleep\x00300\x00");

    const t1 = Date.now();
    const ps = await env.ok(["ps", "--format", "{{.Names}} {{.Status}}"]);
    const psMs = Date.now() - t1;
    console.log(`ps with ${COUNT} running: ${psMs} ms`);
    const rows = ps.trim().split("\n");
    expect(rows).toHaveLength(COUNT);
    expect(rows.map((r) => r.split(" ")[0]).sort()).toEqual(names);
    for (const r of rows) expect(r).toMatch(/ Up /);
    expect(psMs).toBeLessThan(30_000);
    expect(ourProcesses("skiff-monitor")).toHaveLength(COUNT);

    const t2 = Date.now();
    await inBatches(
      Array.from({ length: COUNT / 10 }, (_, i) => names.slice(i * 10, i * 10 + 10)),
      async (group) => {
        await env.ok(["rm", "-f", ...group], { timeout: 120_000 });
      },
    );
    console.log(`rm -f × ${COUNT}: ${Date.now() - t2} ms`);
    expect(await env.ok(["ps", "-aq"])).toBe("");
    expect(ourProcesses("skiff-monitor")).toEqual([]);
    expect(ourProcesses("fuse-overlayfs")).toEqual([]);
    expect(ourProcesses("slirp4netns")).toEqual([]);
    for (const pid of pids) {
      let state = "gone";
      try {
        const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
        state = stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3);
      } catch {
        /* gone */
      }
      // A reused pid would not be ours; ours may only linger as a zombie (pid 1 here does not reap).
      if (state !== "gone" && state !== "Z") expect(readFileSync(`/proc/${pid}/cmdline`, "utf8")).not.toBe("sleep\x00300\x00");
    }
    const pause = env.pausePid();
    expect(pause).toBeGreaterThan(0);
    const mounts = readFileSync(`/proc/${pause}/mountinfo`, "utf8");
    expect(mounts).not.toContain(`${env.base}/data/skiff/containers`);
  }, 600_000);
});
