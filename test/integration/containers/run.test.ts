import { chmodSync, mkdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { userInfo } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { SkiffEnv, isRoot } from "../../helpers/cli.js";
import { loadBusybox } from "../../helpers/busybox.js";
import { parseSubid } from "../../../src/userns/subid.js";

// `run` as an unprivileged user: exit codes, flags, logs, --rm.

let env: SkiffEnv;
beforeAll(async () => {
  env = new SkiffEnv();
  await loadBusybox(env, "busybox:latest", [
    { path: "app/", type: "dir" },
    { path: "app/notexec", content: "#!/bin/sh\necho no\n", mode: 0o644 },
    { path: "app/entry.sh", content: '#!/bin/sh\necho "entry:$*"\n', mode: 0o755 },
  ]);
});
afterAll(() => env?.cleanup());

describe.skipIf(isRoot)("run", () => {
  test("stdout and stderr stay apart, the container's exit code is ours", async () => {
    const r = await env.run(["run", "--rm", "busybox", "sh", "-c", "echo out; echo err >&2; exit 3"]);
    expect(r.stdout).toBe("out\n");
    expect(r.stderr).toBe("err\n");
    expect(r.code).toBe(3);
  });

  test("Docker's exit codes: 127 not found, 126 cannot invoke, 125 engine error", async () => {
    const nf = await env.run(["run", "--rm", "busybox", "no-such-cmd"]);
    expect(nf.code).toBe(127);
    expect(nf.stderr).toMatch(/exec: "no-such-cmd": executable file not found in \$PATH/);
    const ne = await env.run(["run", "--rm", "busybox", "/app/notexec"]);
    expect(ne.code).toBe(126);
    expect(ne.stderr).toMatch(/permission denied/);
    const img = await env.run(["run", "--rm", "--pull", "never", "no/such-image"]);
    expect(img.code).toBe(125);
    const flag = await env.run(["run", "--bogus-flag", "busybox", "true"]);
    expect(flag.code).toBe(125);
    // With --init the shell is not pid 1 (which ignores signals it has no handler for): killed, 128+9.
    const killed = await env.run(["run", "--rm", "--init", "busybox", "sh", "-c", "kill -9 $$"]);
    expect(killed.code).toBe(137);
  });

  test("-e, --env-file, -w, -u, --hostname, --entrypoint, -l", async () => {
    const envFile = join(env.base, "env.list");
    writeFileSync(envFile, "# comment\nFROM_FILE=yes\nPASSED\n");
    const out = await env.ok(
      ["run", "--rm", "-e", "A=1", "-e", "B=two words", "--env-file", envFile, "-w", "/tmp/work", "-u", "1000:100", "--hostname", "boat", "busybox", "sh", "-c", 'echo "$A|$B|$FROM_FILE|$PASSED|$(pwd)|$(id -u):$(id -g)|$(hostname)|$HOME"'],
      { env: { PASSED: "through" } },
    );
    expect(out).toBe("1|two words|yes|through|/tmp/work|1000:100|boat|/home/user\n");
    // Supplementary groups are the ones listing the user (runc's rule); with none, the primary group.
    expect(await env.ok(["run", "--rm", "-u", "user", "busybox", "id"])).toBe("uid=1000(user) gid=1000(user) groups=100(users)\n");
    expect(await env.ok(["run", "--rm", "-u", "nobody", "busybox", "id"])).toBe("uid=65534(nobody) gid=65534(nogroup) groups=65534(nogroup)\n");
    expect(await env.ok(["run", "--rm", "--entrypoint", "/app/entry.sh", "busybox", "a", "b"])).toBe("entry:a b\n");
    const badUser = await env.run(["run", "--rm", "-u", "nobody-here", "busybox", "true"]);
    expect(badUser.code).toBe(125);
    expect(badUser.stderr).toMatch(/unable to find user nobody-here/);
    await env.ok(["run", "--name", "labelled", "-l", "team=boats", "busybox", "true"]);
    expect(await env.ok(["inspect", "-f", "{{index .Config.Labels \"team\"}}", "labelled"])).toBe("boats\n");
    await env.ok(["rm", "labelled"]);
  });

  test("--read-only, --tmpfs, --ulimit, --init", async () => {
    const ro = await env.run(["run", "--rm", "--read-only", "busybox", "touch", "/x"]);
    expect(ro.code).toBe(1);
    expect(ro.stderr).toMatch(/Read-only file system/);
    expect(await env.ok(["run", "--rm", "--read-only", "--tmpfs", "/scratch", "busybox", "sh", "-c", "touch /scratch/x && mount | grep -c ' /scratch '"])).toBe("1\n");
    expect(await env.ok(["run", "--rm", "--ulimit", "nofile=512:1024", "busybox", "sh", "-c", "ulimit -n; ulimit -Hn"])).toBe("512\n1024\n");
    expect(await env.ok(["run", "--rm", "--init", "busybox", "sh", "-c", "cat /proc/1/cmdline | tr '\\0' ' '"])).toMatch(/^\/sbin\/docker-init -- sh -c/);
    const bad = await env.run(["run", "--rm", "--ulimit", "bogus=1", "busybox", "true"]);
    expect(bad.code).toBe(125);
    expect(bad.stderr).toMatch(/invalid ulimit argument/);
  });

  test("logs: json-file, -t, --tail, --since; stderr on stderr", async () => {
    await env.ok(["run", "--name", "talker", "busybox", "sh", "-c", "for i in 1 2 3 4 5; do echo line$i; done; echo oops >&2"]);
    const all = await env.run(["logs", "talker"]);
    expect(all.stdout).toBe("line1\nline2\nline3\nline4\nline5\n");
    expect(all.stderr).toBe("oops\n");
    expect((await env.run(["logs", "--tail", "2", "talker"])).stdout).toBe("line5\n");
    const ts = (await env.ok(["logs", "-t", "talker"])).split("\n")[0]!;
    expect(ts).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d+Z line1$/);
    expect((await env.run(["logs", "--since", "2099-01-01T00:00:00Z", "talker"])).stdout).toBe("");
    const raw = readFileSync(JSON.parse(await env.ok(["inspect", "-f", "{{json .LogPath}}", "talker"])) as string, "utf8").split("\n")[0]!;
    expect(JSON.parse(raw)).toMatchObject({ log: "line1\n", stream: "stdout" });
    await env.ok(["rm", "talker"]);
  });

  test("--rm removes the container once it exits; -d prints the id", async () => {
    await env.ok(["run", "--rm", "--name", "gone", "busybox", "true"]);
    expect((await env.run(["inspect", "gone"])).code).toBe(1);
    // Long enough that `wait` attaches before the exit even on a loaded machine
    // (a --rm container already gone is "No such container", as with Docker).
    const id = (await env.ok(["run", "-d", "--rm", "busybox", "sleep", "2"])).trim();
    expect(id).toMatch(/^[a-f0-9]{64}$/);
    expect(await env.ok(["wait", id])).toBe("0\n");
    for (let i = 0; i < 100 && (await env.run(["inspect", id])).code === 0; i++) await new Promise((r) => setTimeout(r, 50));
    expect((await env.run(["inspect", id])).code).toBe(1);
  });

  test("stdin with -i reaches the container; without -i it does not", async () => {
    expect(await env.ok(["run", "--rm", "-i", "busybox", "sh", "-c", "tr a-z A-Z"], { input: "hello boat\n" })).toBe("HELLO BOAT\n");
    expect(await env.ok(["run", "--rm", "busybox", "sh", "-c", "cat; echo done"], { input: "ignored\n" })).toBe("done\n");
  });

  test("a bind mount (-v) and a file created by uid 1000 belong to subuid+999 outside", async () => {
    const dir = join(env.base, "work", "shared");
    mkdirSync(dir, { mode: 0o777 });
    chmodSync(dir, 0o777);
    await env.ok(["run", "--rm", "-v", `${dir}:/data`, "-u", "1000", "busybox", "sh", "-c", "echo hi > /data/f"]);
    const start = parseSubid(readFileSync("/etc/subuid", "utf8"), userInfo().username, userInfo().uid)[0]!.start;
    expect(statSync(join(dir, "f")).uid).toBe(start + 999);
    const ro = await env.run(["run", "--rm", "-v", `${dir}:/data:ro`, "busybox", "touch", "/data/g"]);
    expect(ro.code).toBe(1);
  });
});
