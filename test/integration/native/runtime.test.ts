import { spawnSync } from "node:child_process";
import { chmodSync, existsSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from "node:fs";
import { userInfo } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import type { RuntimeSpec } from "../../../src/runtime/spec-file.js";
import type { UserNamespace } from "../../../src/userns/namespace.js";
import { parseSubid } from "../../../src/userns/subid.js";
import { SkiffEnv, isRoot } from "../../helpers/cli.js";
import { dockerDefaultCapMask, dockerLikeSpec, killQuietly, nativeNamespace, startMonitor, type MonitorOptions, type MonitorRun } from "../../helpers/native.js";
import { makeBusyboxRootfs } from "../../helpers/rootfs.js";

// skiff-runtime run, driven by skiff-monitor inside skiff's user namespace as
// an ordinary user: what a process in a Docker-like spec sees and can do.

const me = userInfo();

describe.skipIf(isRoot)("skiff-runtime run", () => {
  let env: SkiffEnv;
  let ns: UserNamespace;
  let rootfs: string;
  let count = 0;
  const runs: MonitorRun[] = [];

  beforeAll(() => {
    env = new SkiffEnv();
    ns = nativeNamespace(env);
    rootfs = makeBusyboxRootfs(join(env.base, "work", "rootfs"), {
      files: { "bin/not-executable": { content: "#!/bin/sh\necho no\n", mode: 0o644 } },
    });
  });
  afterAll(() => {
    for (const r of runs) killQuietly(r.containerPid());
    env?.cleanup();
  });

  function start(args: string[], extra: Partial<RuntimeSpec> = {}, opts: Partial<MonitorOptions> = {}): MonitorRun {
    const r = startMonitor(ns, env, { dir: join(env.base, "work", `ctr-${++count}`), spec: dockerLikeSpec(rootfs, args, extra), ...opts });
    runs.push(r);
    return r;
  }

  /** Run to completion; stdout, stderr and the exit code as an attach client saw them. */
  async function run(args: string[], extra: Partial<RuntimeSpec> = {}) {
    const r = start(args, extra);
    const status = await r.status;
    const code = await r.attach!.exit;
    return { status, code, out: r.attach!.text(1), err: r.attach!.text(2), r };
  }

  const sh = (script: string, extra: Partial<RuntimeSpec> = {}) => run(["sh", "-c", script], extra);

  test("stdout and stderr land in the json-file log with their streams, escaped as Docker does", async () => {
    const { status, code, out, err, r } = await sh(`echo hello; echo oops >&2; printf 'a"b\\\\c\\t<\\001\\377\\n'; printf partial`);
    expect(status).toMatch(/^started \d+$/);
    expect(code).toBe(0);
    expect(out).toBe('hello\na"b\\c\t<\x01\ufffd\npartial'); // the client decodes the raw 0xff as U+FFFD too
    expect(err).toBe("oops\n");
    const entries = r.logEntries();
    // The two streams are separate pipes: order is kept within a stream only.
    expect(entries.filter((e) => e.stream === "stdout").map((e) => e.log)).toEqual(["hello\n", 'a"b\\c\t<\x01\ufffd\n', "partial"]);
    expect(entries.filter((e) => e.stream === "stderr").map((e) => e.log)).toEqual(["oops\n"]);
    for (const e of entries) expect(e.time).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z$/);
    const raw = readFileSync(r.logPath, "utf8");
    expect(raw).toContain('"log":"a\\"b\\\\c\\t\\u003c\\u0001\\ufffd\\n"');
  });

  test("exit codes: 0, 3, and 137 when the process is killed", async () => {
    expect((await sh("true")).code).toBe(0);
    const three = await sh("exit 3");
    expect(three.code).toBe(3);
    expect(three.r.state("exit")).toMatch(/^3 \d{4}-\d\d-\d\dT[\d:.]+Z\n$/);

    const r = start(["sleep", "60"]);
    expect(await r.status).toMatch(/^started \d+$/);
    process.kill(r.containerPid(), "SIGKILL");
    expect(await r.attach!.exit).toBe(137);
    expect(await r.exitCode()).toBe(137);
  });

  test("a command that is not found exits 127 with Docker's message; one that cannot run exits 126", async () => {
    const missing = await run(["no-such-command"]);
    expect(missing.status).toBe('error notfound exec: "no-such-command": executable file not found in $PATH');
    expect(missing.code).toBe(127);
    expect(missing.r.state("exit")).toMatch(/^127 /);
    expect(missing.r.state("start-error")).toMatch(/executable file not found/);

    const absent = await run(["/bin/absent"]);
    expect(absent.status).toBe('error notfound exec: "/bin/absent": stat /bin/absent: no such file or directory');
    expect(absent.code).toBe(127);

    const plain = await run(["/bin/not-executable"]);
    expect(plain.status).toBe('error exec exec: "/bin/not-executable": permission denied');
    expect(plain.code).toBe(126);
  });

  test("uid 0 inside is the user outside; uid 1000 is subuid start + 999", async () => {
    const shared = join(env.base, "work", "shared");
    mkdirSync(shared);
    chmodSync(shared, 0o777);
    const mounts = [...dockerLikeSpec(rootfs, []).mounts!, { destination: "/data", type: "bind" as const, source: shared, options: ["rbind"] }];
    expect((await sh("touch /data/by-root", { mounts })).code).toBe(0);
    expect((await sh("touch /data/by-user && id -u", { mounts, user: { uid: 1000, gid: 1000 } })).out).toBe("1000\n");
    const owner = (f: string) => Number(spawnSync("stat", ["-c", "%u", join(shared, f)], { encoding: "utf8" }).stdout.trim());
    const start = parseSubid(readFileSync("/etc/subuid", "utf8"), me.username, me.uid)[0]!.start;
    expect(owner("by-root")).toBe(me.uid);
    expect(owner("by-user")).toBe(start + 999);
  });

  test("bind mounts: a file onto a file, read-only where asked (keeping the host's locked flags)", async () => {
    const dir = join(env.base, "work", "bind-src");
    mkdirSync(dir);
    writeFileSync(join(dir, "note"), "from the host\n");
    const mounts = [
      ...dockerLikeSpec(rootfs, []).mounts!,
      { destination: "/ro", type: "bind" as const, source: dir, options: ["rbind", "ro"] },
      { destination: "/etc/note", type: "bind" as const, source: join(dir, "note"), options: ["bind", "nosuid"] },
      // /dev/shm on the host is nosuid,nodev (locked in our namespace): ro must keep them.
      { destination: "/hostshm", type: "bind" as const, source: "/dev/shm", options: ["rbind", "ro"] },
    ];
    const { out, code } = await sh("cat /etc/note; touch /ro/x 2>/dev/null || echo ro-refused; grep -c ' /hostshm ro,' /proc/self/mountinfo", { mounts });
    expect(code).toBe(0);
    expect(out).toBe("from the host\nro-refused\n1\n");
  });

  test("mount targets are resolved inside the rootfs: a symlink cannot point a mount at the host", async () => {
    const outside = join(env.base, "work", "outside");
    mkdirSync(outside);
    const root2 = makeBusyboxRootfs(join(env.base, "work", "rootfs-links"));
    symlinkSync(outside, join(root2, "escape")); // absolute: means <rootfs>/<outside> in the container
    symlinkSync("../../../../../../..", join(root2, "up"));
    symlinkSync("/run", join(root2, "var-run")); // dangling: its target is made inside the rootfs
    const mounts = [
      ...dockerLikeSpec(root2, []).mounts!,
      { destination: "/escape/made", type: "tmpfs" as const, source: "tmpfs", options: [] },
      { destination: "/up/tmp/also", type: "tmpfs" as const, source: "tmpfs", options: [] },
      { destination: "/var-run/sub", type: "tmpfs" as const, source: "tmpfs", options: [] },
    ];
    const r = startMonitor(ns, env, { dir: join(env.base, "work", "ctr-links"), spec: dockerLikeSpec(root2, ["true"], { mounts }) });
    runs.push(r);
    expect(await r.status).toMatch(/^started /);
    expect(existsSync(join(outside, "made"))).toBe(false);
    expect(existsSync(join(root2, outside, "made"))).toBe(true);
    expect(existsSync(join(root2, "tmp", "also"))).toBe(true);
    expect(existsSync(join(root2, "run", "sub"))).toBe(true);
    expect(existsSync("/run/sub")).toBe(false);
  });

  test("capabilities: Docker's default set for root, none for another user; no_new_privs", async () => {
    const caps = (out: string) => Object.fromEntries([...out.matchAll(/^(Cap\w+|NoNewPrivs):\s+(\S+)$/gm)].map((m) => [m[1], m[2]]));
    const root = caps((await sh("cat /proc/self/status")).out);
    expect(root).toEqual({ CapInh: "0000000000000000", CapPrm: dockerDefaultCapMask, CapEff: dockerDefaultCapMask, CapBnd: dockerDefaultCapMask, CapAmb: "0000000000000000", NoNewPrivs: "1" });
    const user = caps((await sh("cat /proc/self/status", { user: { uid: 1000, gid: 1000 } })).out);
    expect(user).toEqual({ CapInh: "0000000000000000", CapPrm: "0000000000000000", CapEff: "0000000000000000", CapBnd: dockerDefaultCapMask, CapAmb: "0000000000000000", NoNewPrivs: "1" });
    const fewer = caps((await sh("cat /proc/self/status", { capabilities: ["CAP_CHOWN", "kill"], noNewPrivileges: false })).out);
    expect(fewer.CapEff).toBe("0000000000000021");
    expect(fewer.NoNewPrivs).toBe("0");
  });

  test("masked and read-only paths", async () => {
    const { out, code } = await sh(
      [
        "wc -c < /proc/keys",
        "ls -A /proc/acpi | wc -l",
        "touch /proc/acpi/x 2>/dev/null && echo acpi-writable",
        "echo x > /proc/sysrq-trigger 2>/dev/null && echo sysrq-writable",
        "echo other > /proc/sys/kernel/hostname 2>/dev/null && echo sys-writable",
        "test -e /proc/kcore && wc -c < /proc/kcore",
        "grep -c ' /proc/sys ro,' /proc/self/mountinfo",
        "true",
      ].join("; "),
    );
    expect(code).toBe(0);
    const lines = out.trim().split("\n").map((l) => l.trim());
    expect(lines[0]).toBe("0"); // /proc/keys is /dev/null now
    expect(lines[1]).toBe("0"); // /proc/acpi is an empty tmpfs
    expect(out).not.toMatch(/writable/);
    // /proc/kcore is masked where the kernel has it (this one may not).
    if (existsSync("/proc/kcore")) expect(lines[2]).toBe("0");
    expect(lines[lines.length - 1]).toBe("1");
  });

  test("the process is pid 1 of its own pid namespace and ps shows only the container's processes", async () => {
    const { out } = await sh("echo $$; ps -o pid,comm");
    const [self, header, ...rows] = out.trim().split("\n");
    expect(self).toBe("1");
    expect(header).toMatch(/PID/);
    const pids = rows.map((r) => Number(r.trim().split(/\s+/)[0]));
    expect(pids).toContain(1);
    expect(pids.length).toBeLessThanOrEqual(2);
    for (const p of pids) expect(p).toBeLessThan(10);
  });

  test("hostname, and nothing of the host's filesystem is visible", async () => {
    const plain = makeBusyboxRootfs(join(env.base, "work", "rootfs-plain"));
    const script = `hostname; ls /; for p in /etc/hostname ${me.homedir} ${env.base}; do test -e $p && echo "seen $p"; done; true`;
    const r = startMonitor(ns, env, { dir: join(env.base, "work", "ctr-plain"), spec: dockerLikeSpec(plain, ["sh", "-c", script]) });
    runs.push(r);
    expect(await r.attach!.exit).toBe(0);
    const [name, ...entries] = r.attach!.text(1).trim().split("\n");
    expect(name).toBe("box");
    expect(entries).toEqual(["bin", "dev", "etc", "home", "proc", "root", "sys", "tmp"]);
  });

  test("a read-only rootfs refuses writes; tmpfs mounts stay writable", async () => {
    const { out, err } = await sh("touch /root/x || echo refused; touch /dev/shm/x && echo shm-ok", { readonly: true });
    expect(out).toBe("refused\nshm-ok\n");
    expect(err).toMatch(/Read-only file system/);
  });

  test("environment, cwd (created), umask, rlimits and additional groups are as specified", async () => {
    const { out } = await run(["sh", "-c", "cat /proc/1/environ; echo; pwd; umask; ulimit -n; ulimit -Hn; id -G"], {
      env: ["PATH=/bin", "A=tab\there", "B=line\nbreak%25"],
      cwd: "/work/here",
      umask: 0o027,
      rlimits: [{ type: "nofile", soft: 200, hard: 300 }],
      user: { uid: 1000, gid: 1000, additionalGids: [5, 65534] },
    });
    const [environ, ...rest] = out.split("\0\n");
    expect(environ!.split("\0")).toEqual(["PATH=/bin", "A=tab\there", "B=line\nbreak%25"]);
    expect(rest.join("")).toBe("/work/here\n0027\n200\n300\n1000 5 65534\n");
  });

  test("a mount that cannot be made is a mount error with the path, exit 125", async () => {
    const mounts = [...dockerLikeSpec(rootfs, []).mounts!, { destination: "/data", type: "bind" as const, source: "/no/such/dir", options: [] }];
    const { status, code } = await sh("true", { mounts });
    expect(status).toBe("error mount stat /no/such/dir: No such file or directory");
    expect(code).toBe(125);
  });
});
