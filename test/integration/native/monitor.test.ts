import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import type { RuntimeSpec } from "../../../src/runtime/spec-file.js";
import type { UserNamespace } from "../../../src/userns/namespace.js";
import { SkiffEnv, isRoot } from "../../helpers/cli.js";
import {
  connectAttach,
  dockerLikeSpec,
  inNamespace,
  killQuietly,
  nativeNamespace,
  processGone,
  startMonitor,
  waitUntil,
  type MonitorOptions,
  type MonitorRun,
} from "../../helpers/native.js";
import { makeBusyboxRootfs } from "../../helpers/rootfs.js";

// skiff-monitor as the host will use it: terminal and pipes, attach clients
// on a socketpair and on a socket, detaching, restart policy, clean-up.

describe.skipIf(isRoot)("skiff-monitor", () => {
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

  function start(args: string[], opts: Partial<MonitorOptions> = {}, extra: Partial<RuntimeSpec> = {}): MonitorRun {
    const r = startMonitor(ns, env, { dir: join(env.base, "work", `ctr-${++count}`), spec: dockerLikeSpec(rootfs, args, extra), ...opts });
    runs.push(r);
    return r;
  }

  test("a terminal: the process sees /dev/pts/0, and a resize frame sets its size", async () => {
    const r = start(["sh", "-c", "read line; tty; stty size"], { tty: true, stdin: true }, { tty: true });
    const c = r.attach!;
    c.resize(40, 100);
    c.stdin("go\n");
    expect(await r.status).toMatch(/^started /);
    expect(await c.exit).toBe(0);
    expect(c.text(1)).toMatch(/\/dev\/pts\/0\r\n40 100\r\n$/);
    expect(c.text(2)).toBe("");
    // In the log a terminal's output is "stdout".
    expect(r.logEntries().every((e) => e.stream === "stdout")).toBe(true);
    expect(r.logText()).toContain("/dev/pts/0\r\n");
  });

  test("stdin data reaches the process, and a close-stdin frame ends cat", async () => {
    const r = start(["cat"], { stdin: true });
    const c = r.attach!;
    c.stdin("abc\n");
    await c.waitFor(/abc\n/);
    c.stdin("def");
    c.closeStdin();
    expect(await c.exit).toBe(0);
    expect(c.text(1)).toBe("abc\ndef");
  });

  test("without --stdin the process reads /dev/null", async () => {
    const r = start(["sh", "-c", "cat; echo done"]);
    expect(await r.attach!.exit).toBe(0);
    expect(r.attach!.text(1)).toBe("done\n");
  });

  test("the attach-fd client gets output from the first byte, while the process still runs", async () => {
    const r = start(["sh", "-c", "echo first; sleep 1; echo second"]);
    const c = r.attach!;
    await c.waitFor(/first\n/);
    expect(c.frames[0]).toMatchObject({ type: 1 });
    expect(c.frames[0]!.payload.toString()).toBe("first\n");
    expect(processGone(r.containerPid())).toBe(false);
    expect(await c.exit).toBe(0);
    expect(c.frames.map((f) => f.type)).toEqual([1, 1, 3]);
    expect(c.frames[1]!.at - c.frames[0]!.at).toBeGreaterThan(800);
  });

  test("clients on the socket get output from when they attach, can write stdin, and get the exit frame", async () => {
    const r = start(["sh", "-c", "read x; echo early $x; read y; echo got $y; exit 4"], { socket: true, stdin: true, attach: false });
    expect(await r.status).toMatch(/^started /);
    const a = await connectAttach(r.socketPath);
    a.stdin("1\n");
    await a.waitFor(/early 1\n/);
    const b = await connectAttach(r.socketPath); // after "early" was sent: it must not see it
    a.stdin("hello\n");
    expect(await a.exit).toBe(4);
    expect(await b.exit).toBe(4);
    expect(a.text(1)).toBe("early 1\ngot hello\n");
    expect(b.text(1)).toBe("got hello\n");
    expect(r.logText("stdout")).toBe("early 1\ngot hello\n");
    await r.exited;
    expect(existsSync(r.socketPath)).toBe(false);
  });

  test("a client that goes away is dropped; the process goes on", async () => {
    const r = start(["sh", "-c", "for i in 1 2 3 4 5; do echo $i; sleep 0.1; done"], { socket: true });
    await r.status;
    const early = await connectAttach(r.socketPath);
    early.close();
    expect(await r.attach!.exit).toBe(0);
    expect(r.attach!.text(1)).toBe("1\n2\n3\n4\n5\n");
  });

  test("binary output arrives intact; a line without newline is logged in 16 KiB pieces", async () => {
    const r = start(["sh", "-c", "cat /bin/busybox; head -c 40000 /dev/zero >&2"]);
    expect(await r.attach!.exit).toBe(0);
    const out = Buffer.concat(r.attach!.frames.filter((f) => f.type === 1).map((f) => f.payload));
    expect(out.equals(readFileSync("/bin/busybox"))).toBe(true);
    const err = r.logEntries().filter((e) => e.stream === "stderr");
    expect(err.map((e) => e.log.length)).toEqual([16384, 16384, 7232]);
    expect(err.every((e) => /^\0+$/.test(e.log))).toBe(true);
  });

  test("a slow client holds the output back instead of losing it", async () => {
    const r = start(["sh", "-c", "head -c 8000000 /dev/zero; echo end >&2"], { log: false });
    const c = r.attach!;
    c.socket.pause();
    await new Promise((ok) => setTimeout(ok, 500));
    // Held back: the process cannot have written everything into a stalled client.
    expect(processGone(r.containerPid())).toBe(false);
    c.socket.resume();
    expect(await c.exit).toBe(0);
    expect(c.frames.filter((f) => f.type === 1).reduce((n, f) => n + f.payload.length, 0)).toBe(8000000);
    expect(c.text(2)).toBe("end\n");
  });

  test("--detach: the monitor outlives its caller; pid and exit files appear", async () => {
    const r = start(["sh", "-c", "sleep 0.5; echo done"], { detach: true, attach: false });
    expect(await r.exited).toBe(0); // the caller's process is done right away
    const monitor = r.monitorPid();
    expect(monitor).toBeGreaterThan(0);
    expect(monitor).not.toBe(r.child.pid);
    expect(processGone(monitor)).toBe(false);
    expect(await r.status).toMatch(/^started \d+$/);
    expect(r.state("pid")).toMatch(/^\d+ \d+ \d{4}-\d\d-\d\dT[\d:.]+Z\n$/);
    expect(r.state("monitor.pid")).toMatch(/^\d+ \d+\n$/);
    expect(await r.exitCode()).toBe(0);
    await waitUntil(() => processGone(monitor), 5000, "the monitor to exit");
    expect(r.logText()).toBe("done\n");
  });

  test("restart on-failure:2 restarts twice, then stops", async () => {
    const r = start(["sh", "-c", "echo run; exit 1"], { restart: "on-failure:2" });
    expect(await r.attach!.exit).toBe(1);
    expect(r.state("restart-count")).toBe("2\n");
    expect(r.state("exit")).toMatch(/^1 /);
    expect(r.logText()).toBe("run\nrun\nrun\n");
    // The same client saw every run's output, and one exit frame at the end.
    expect(r.attach!.frames.filter((f) => f.type === 3)).toHaveLength(1);
  });

  test("a restart that fails to start leaves exit 127 and start-error", async () => {
    const data = join(env.base, "work", "once");
    mkdirSync(data);
    writeFileSync(join(data, "run.sh"), "#!/bin/sh\nrm /data/run.sh\necho ran\nexit 1\n", { mode: 0o755 });
    const mounts = [...dockerLikeSpec(rootfs, []).mounts!, { destination: "/data", type: "bind" as const, source: data, options: ["rbind"] }];
    const r = start(["/data/run.sh"], { restart: "on-failure:1" }, { mounts });
    expect(await r.status).toMatch(/^started /);
    expect(await r.attach!.exit).toBe(127);
    expect(r.state("restart-count")).toBe("1\n");
    expect(r.state("exit")).toMatch(/^127 /);
    expect(r.state("start-error")).toBe('exec: "/data/run.sh": stat /data/run.sh: no such file or directory\n');
    expect(r.logText()).toBe("ran\n");
  });

  test("restart on-failure does not restart a clean exit; always does until stop-requested", async () => {
    const clean = start(["true"], { restart: "on-failure" });
    expect(await clean.attach!.exit).toBe(0);
    expect(clean.state("restart-count")).toBe("0\n");

    const r = start(["sleep", "60"], { restart: "always" });
    await r.status;
    const first = r.containerPid();
    process.kill(first, "SIGKILL");
    await waitUntil(() => r.state("restart-count") === "1\n" && r.state("exit") === undefined && r.containerPid() !== first, 5000, "a restart");
    writeFileSync(join(r.dir, "stop-requested"), "");
    process.kill(r.containerPid(), "SIGKILL");
    expect(await r.attach!.exit).toBe(137);
    expect(r.state("restart-count")).toBe("1\n");
    expect(await r.exitCode()).toBe(137);
  });

  test("SIGTERM to the monitor goes to the process", async () => {
    const r = start(["sh", "-c", "trap 'echo term; exit 9' TERM; echo ready; while :; do sleep 0.05; done"]);
    await r.attach!.waitFor(/ready/);
    r.child.kill("SIGTERM");
    expect(await r.attach!.exit).toBe(9);
    expect(r.attach!.text(1)).toBe("ready\nterm\n");
  });

  test("when it is over: --umount detaches a mount and --rm-path removes the tree without crossing mounts", async () => {
    const gone = join(env.base, "work", "rm-me");
    const kept = join(env.base, "work", "rm-partly");
    mkdirSync(join(gone, "a", "b"), { recursive: true });
    writeFileSync(join(gone, "a", "b", "f"), "x");
    mkdirSync(join(kept, "mnt"), { recursive: true });
    writeFileSync(join(kept, "file"), "x");
    // Mounts in the namespace the monitor runs in (skiff-ns keeps them).
    const inNs = (script: string) => inNamespace(ns, env, script);
    expect((await inNs(`mount -t tmpfs none ${gone}/a && touch ${gone}/a/in-tmpfs && mount -t tmpfs none ${kept}/mnt && touch ${kept}/mnt/inside`)).code).toBe(0);
    const r = start(["true"], { umount: [join(gone, "a")], rmPaths: [gone, kept] });
    expect(await r.attach!.exit).toBe(0);
    expect(await r.exited).toBe(0);
    expect(existsSync(gone)).toBe(false);
    const mounts = (await inNs("cat /proc/self/mountinfo")).stdout;
    expect(mounts).not.toContain(`${gone}/a`);
    // The mount under rm-partly is left alone (and so is the directory holding it).
    expect((await inNs(`ls ${kept} ${kept}/mnt`)).stdout).toBe(`${kept}:\nmnt\n\n${kept}/mnt:\ninside\n`);
    await inNs(`umount ${kept}/mnt`);
  });

  test("--rm-path can remove the monitor's own directory (run --rm)", async () => {
    const dir = join(env.base, "work", "ctr-rm");
    const r = start(["sh", "-c", "echo bye"], { dir, rmPaths: [dir] });
    expect(await r.attach!.exit).toBe(0);
    expect(r.attach!.text(1)).toBe("bye\n");
    expect(await r.exited).toBe(0);
    expect(existsSync(dir)).toBe(false);
  });

  test("a prestart hook runs with the process's pid before it execs; a failing hook stops the start", async () => {
    const seen = join(env.base, "work", "hook-saw");
    const r = start(["sh", "-c", "echo started"], { prestartHook: ["sh", "-c", `echo $SKIFF_CONTAINER_PID > ${seen}`] }, { syncBeforeExec: true });
    expect(await r.status).toMatch(/^started \d+$/);
    expect(await r.attach!.exit).toBe(0);
    expect(readFileSync(seen, "utf8").trim()).toBe(String(r.containerPid()));

    const bad = start(["sh", "-c", "echo never"], { prestartHook: ["sh", "-c", "echo no network >&2; exit 3"] }, { syncBeforeExec: true });
    expect(await bad.status).toBe("error prestart prestart hook sh exited with status 3: no network");
    expect(await bad.attach!.exit).toBe(125);
    expect(bad.state("exit")).toMatch(/^125 /);
    expect(bad.logText()).toBe("");
  });

  test("usage errors are reported on the status fd with exit 125", async () => {
    const r = start(["true"], { restart: "sometimes" });
    expect(await r.status).toBe("error usage --restart sometimes: not no, always, unless-stopped or on-failure[:MAX]");
    expect(await r.exited).toBe(125);
  });
});
