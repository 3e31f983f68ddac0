import { readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import type { UserNamespace } from "../../../src/userns/namespace.js";
import { SkiffEnv, isRoot } from "../../helpers/cli.js";
import { dockerLikeSpec, killQuietly, nativeNamespace, startMonitor, type MonitorRun } from "../../helpers/native.js";
import { makeBusyboxRootfs } from "../../helpers/rootfs.js";

// How quickly a container speaks, and how little a waiting monitor costs.
// The numbers are printed for the record; the bounds only catch regressions
// of an order of magnitude.

describe.skipIf(isRoot)("native runtime costs", () => {
  let env: SkiffEnv;
  let ns: UserNamespace;
  let rootfs: string;
  const runs: MonitorRun[] = [];
  beforeAll(() => {
    env = new SkiffEnv();
    ns = nativeNamespace(env);
    rootfs = makeBusyboxRootfs(join(env.base, "work", "rootfs"));
  });
  afterAll(() => {
    for (const r of runs) killQuietly(r.containerPid());
    env?.cleanup();
  });

  async function firstByte(i: number): Promise<number> {
    const t0 = performance.now();
    const r = startMonitor(ns, env, { dir: join(env.base, "work", `c${i}`), spec: dockerLikeSpec(rootfs, ["echo", "hi"]) });
    runs.push(r);
    await r.attach!.waitFor(/hi/);
    const ms = r.attach!.frames[0]!.at - t0;
    await r.exited;
    return ms;
  }

  test("spawning the monitor to the first output byte of `echo hi`", async () => {
    await firstByte(0); // the pause process is created here, not measured
    const times: number[] = [];
    for (let i = 1; i <= 20; i++) times.push(await firstByte(i));
    times.sort((a, b) => a - b);
    const median = (times[9]! + times[10]!) / 2;
    console.log(`first byte: median ${median.toFixed(1)} ms, min ${times[0]!.toFixed(1)} ms, max ${times[19]!.toFixed(1)} ms (20 runs)`);
    expect(median).toBeLessThan(250);
  });

  test("idle resident memory of one monitor", async () => {
    const r = startMonitor(ns, env, { dir: join(env.base, "work", "idle"), spec: dockerLikeSpec(rootfs, ["sleep", "30"]), log: true, socket: true });
    runs.push(r);
    await r.status;
    await new Promise((ok) => setTimeout(ok, 300));
    const status = readFileSync(`/proc/${r.monitorPid()}/status`, "utf8");
    const rss = Number(/^VmRSS:\s+(\d+) kB/m.exec(status)![1]);
    const anon = Number(/^RssAnon:\s+(\d+) kB/m.exec(status)![1]);
    console.log(`idle monitor: VmRSS ${rss} kB (RssAnon ${anon} kB)`);
    expect(rss).toBeLessThan(8 * 1024);
    killQuietly(r.containerPid());
    await r.exited;
  });
});
