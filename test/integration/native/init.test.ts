import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { nativeProgram } from "../../../src/config/install.js";
import type { UserNamespace } from "../../../src/userns/namespace.js";
import { SkiffEnv, isRoot } from "../../helpers/cli.js";
import { dockerLikeSpec, killQuietly, nativeNamespace, startMonitor, type MonitorRun } from "../../helpers/native.js";
import { makeBusyboxRootfs } from "../../helpers/rootfs.js";

// skiff-init as pid 1 of a container (`run --init`): signals pass through to
// the command, orphans are reaped, the command's status is the container's.

describe.skipIf(isRoot)("skiff-init", () => {
  let env: SkiffEnv;
  let ns: UserNamespace;
  let rootfs: string;
  let count = 0;
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

  function withInit(script: string, tty = false): MonitorRun {
    const base = dockerLikeSpec(rootfs, ["/sbin/skiff-init", "--", "sh", "-c", script], { tty });
    const spec = { ...base, mounts: [...base.mounts!, { destination: "/sbin/skiff-init", type: "bind" as const, source: nativeProgram("skiff-init"), options: ["ro"] }] };
    const r = startMonitor(ns, env, { dir: join(env.base, "work", `ctr-${++count}`), spec, tty });
    runs.push(r);
    return r;
  }

  test("is a static binary, so it runs in any image", () => {
    const out = spawnSync("file", [nativeProgram("skiff-init")], { encoding: "utf8" }).stdout;
    if (out) expect(out).toMatch(/statically linked/);
  });

  test("passes SIGTERM to the command and exits with its status", async () => {
    const r = withInit("trap 'echo got TERM; exit 7' TERM; echo ready; while :; do sleep 0.05; done");
    await r.attach!.waitFor(/ready/);
    // The container's pid 1 is skiff-init: signal it from outside, as `stop` does.
    process.kill(r.containerPid(), "SIGTERM");
    expect(await r.attach!.exit).toBe(7);
    expect(r.attach!.text(1)).toBe("ready\ngot TERM\n");
  });

  test("the command runs as pid 2 under skiff-init, in its own process group", async () => {
    const r = withInit("echo $$; cat /proc/1/comm; set -- $(cat /proc/$$/stat); echo pgrp=$5 sid=$6");
    expect(await r.attach!.exit).toBe(0);
    expect(r.attach!.text(1)).toBe("2\nskiff-init\npgrp=2 sid=1\n");
  });

  test("reaps orphans: a double-forked child leaves no zombie (without it, one stays)", async () => {
    // pid 1 ends up as `sleep`, which never waits; a reader reports the
    // process states while the orphaned `sleep 0.1` has long ended.
    const script = "(sleep 0.5; cat /proc/[0-9]*/stat) & sh -c 'sleep 0.1 &'; exec sleep 1";
    const states = (r: MonitorRun) =>
      r.attach!.text(1)
        .trim()
        .split("\n")
        .map((l) => l.slice(l.lastIndexOf(")") + 2, l.lastIndexOf(")") + 3));
    const init = withInit(script);
    expect(await init.attach!.exit).toBe(0);
    expect(states(init).length).toBeGreaterThan(2);
    expect(states(init)).not.toContain("Z");

    const bare = startMonitor(ns, env, { dir: join(env.base, "work", "ctr-bare"), spec: dockerLikeSpec(rootfs, ["sh", "-c", script]) });
    runs.push(bare);
    expect(await bare.attach!.exit).toBe(0);
    expect(states(bare)).toContain("Z");
  });

  test("exit status: the command's code, 128+N when signal N killed it", async () => {
    expect(await withInit("exit 5").attach!.exit).toBe(5);
    expect(await withInit("kill -KILL $$").attach!.exit).toBe(137);
  });

  test("with a terminal the command is the foreground process group", async () => {
    const r = withInit("set -- $(cat /proc/$$/stat); echo pgrp=$5 tpgid=$8", true);
    expect(await r.attach!.exit).toBe(0);
    expect(r.attach!.text(1)).toBe("pgrp=2 tpgid=2\r\n");
  });
});
