import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import type { RuntimeSpec } from "../../../src/runtime/spec-file.js";
import type { UserNamespace } from "../../../src/userns/namespace.js";
import { SkiffEnv, isRoot } from "../../helpers/cli.js";
import { dockerDefaultCapabilities, dockerLikeSpec, killQuietly, nativeNamespace, startMonitor, type MonitorOptions, type MonitorRun } from "../../helpers/native.js";
import { makeBusyboxRootfs } from "../../helpers/rootfs.js";

// skiff-runtime exec: a second process in a running container, with its own
// monitor, as `docker exec` makes one.

describe.skipIf(isRoot)("skiff-runtime exec", () => {
  let env: SkiffEnv;
  let ns: UserNamespace;
  let rootfs: string;
  let container: MonitorRun;
  let count = 0;
  const runs: MonitorRun[] = [];

  beforeAll(async () => {
    env = new SkiffEnv();
    ns = nativeNamespace(env);
    rootfs = makeBusyboxRootfs(join(env.base, "work", "rootfs"));
    container = startMonitor(ns, env, {
      dir: join(env.base, "work", "ctr"),
      spec: dockerLikeSpec(rootfs, ["sh", "-c", "echo ready; exec sleep 60"], { env: ["PATH=/bin", "FROM=container"] }),
    });
    runs.push(container);
    await container.attach!.waitFor(/ready/);
  });
  afterAll(() => {
    for (const r of runs) killQuietly(r.containerPid());
    env?.cleanup();
  });

  function exec(args: string[], spec: Partial<RuntimeSpec> = {}, opts: Partial<MonitorOptions> = {}): MonitorRun {
    const r = startMonitor(ns, env, {
      dir: join(env.base, "work", `exec-${++count}`),
      execIn: container.containerPid(),
      spec: { args, env: ["PATH=/bin"], capabilities: dockerDefaultCapabilities, noNewPrivileges: true, ...spec },
      ...opts,
    });
    runs.push(r);
    return r;
  }

  test("joins the container's pid namespace (sees its pid 1) with its own cwd, env and user", async () => {
    const r = exec(["sh", "-c", "echo pid=$$; ps -o pid,comm; pwd; id -u; id -g; echo $FOO $FROM; hostname"], {
      env: ["PATH=/bin", "FOO=bar"],
      cwd: "/tmp",
      user: { uid: 1000, gid: 1000 },
    });
    expect(await r.status).toMatch(/^started \d+$/);
    expect(await r.attach!.exit).toBe(0);
    const out = r.attach!.text(1);
    const pid = Number(/^pid=(\d+)$/m.exec(out)![1]);
    expect(pid).toBeGreaterThan(1);
    expect(out).toMatch(/^\s*1 sleep$/m);
    expect(out).toContain("\n/tmp\n1000\n1000\nbar\nbox\n");
    // Its host pid is not its pid in the container.
    expect(r.containerPid()).not.toBe(pid);
  });

  test("sees the container's filesystem and mounts, not the host's", async () => {
    const r = exec(["sh", "-c", "ls /; grep -c ' /proc proc ' /proc/self/mounts"]);
    expect(await r.attach!.exit).toBe(0);
    expect(r.attach!.text(1)).toBe("bin\ndev\netc\nhome\nproc\nroot\nsys\ntmp\n1\n");
  });

  test("with a terminal from the container's devpts, of the size the spec gives", async () => {
    const r = exec(["sh", "-c", "tty; stty size"], { tty: true, consoleSize: { rows: 30, cols: 70 } }, { tty: true });
    expect(await r.attach!.exit).toBe(0);
    expect(r.attach!.text(1)).toMatch(/^\/dev\/pts\/\d+\r\n30 70\r\n$/);
  });

  test("a missing cwd is an error (exec does not create it); a missing command is 127", async () => {
    const cwd = exec(["true"], { cwd: "/no/such/dir" });
    expect(await cwd.status).toBe('error cwd chdir to cwd ("/no/such/dir") set in config.json failed: no such file or directory');
    const missing = exec(["nope"]);
    expect(await missing.status).toBe('error notfound exec: "nope": executable file not found in $PATH');
    expect(await missing.attach!.exit).toBe(127);
  });

  test("exec into a process that is gone fails with a setns error", async () => {
    const r = startMonitor(ns, env, { dir: join(env.base, "work", "exec-gone"), execIn: 999999, spec: { args: ["true"], env: [] } });
    expect(await r.status).toBe("error setns container process 999999 is not running");
    expect(await r.attach!.exit).toBe(125);
  });
});
