import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, readlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { SkiffEnv, isRoot, skiffBin } from "../../helpers/cli.js";
import { loadBusybox } from "../../helpers/busybox.js";

// exec, attach, cp and export into and out of a running container.

let env: SkiffEnv;
beforeAll(async () => {
  env = new SkiffEnv();
  await loadBusybox(env, "busybox:latest", [{ path: "srv/", type: "dir" }, { path: "srv/index.html", content: "<h1>boat</h1>\n" }]);
  await env.ok(["run", "-d", "--name", "box", "-e", "BASE=1", "-w", "/srv", "busybox", "sleep", "300"]);
});
afterAll(() => env?.cleanup());

describe.skipIf(isRoot)("exec, attach, cp, export", () => {
  test("exec joins the container: its pid 1, env, cwd; -e -w -u override; exit codes pass through", async () => {
    expect(await env.ok(["exec", "box", "sh", "-c", 'cat /proc/1/cmdline | tr "\\0" " "; echo; echo "$BASE $(pwd) $(id -u)"'])).toBe("sleep 300 \n1 /srv 0\n");
    expect(await env.ok(["exec", "-e", "BASE=2", "-w", "/tmp", "-u", "1000", "box", "sh", "-c", 'echo "$BASE $(pwd) $(id -u)"'])).toBe("2 /tmp 1000\n");
    expect((await env.run(["exec", "box", "sh", "-c", "exit 7"])).code).toBe(7);
    const nf = await env.run(["exec", "box", "nope"]);
    expect(nf.code).toBe(127);
    expect(nf.stderr).toMatch(/executable file not found/);
    expect(await env.ok(["exec", "-i", "box", "sh", "-c", "tr a-z A-Z"], { input: "quiet water\n" })).toBe("QUIET WATER\n");
    await env.ok(["exec", "-d", "box", "sh", "-c", "sleep 0.2; echo late > /tmp/late"]);
    await new Promise((r) => setTimeout(r, 700));
    expect(await env.ok(["exec", "box", "cat", "/tmp/late"])).toBe("late\n");
    const stopped = await env.run(["exec", "missing-box", "true"]);
    expect(stopped.code).not.toBe(0);
  });

  test("attach to a running -i container gets its output and feeds its stdin", async () => {
    await env.ok(["run", "-d", "-i", "--name", "echoer", "busybox", "sh", "-c", "while read l; do echo \"got $l\"; done; echo bye"]);
    const r = await env.run(["attach", "echoer"], { input: "one\ntwo\n", timeout: 10_000 });
    expect(r.stdout).toBe("got one\ngot two\nbye\n");
    expect(r.code).toBe(0);
    await env.ok(["rm", "-f", "echoer"]);
  });

  test("cp both ways, to and from -, and into a directory", async () => {
    const host = join(env.base, "work", "cp");
    mkdirSync(host, { recursive: true });
    await env.ok(["cp", "box:/srv/index.html", join(host, "index.html")]);
    expect(readFileSync(join(host, "index.html"), "utf8")).toBe("<h1>boat</h1>\n");
    await env.ok(["cp", "box:/srv", host]);
    expect(readFileSync(join(host, "srv", "index.html"), "utf8")).toBe("<h1>boat</h1>\n");
    writeFileSync(join(host, "up.txt"), "uploaded\n");
    await env.ok(["cp", join(host, "up.txt"), "box:/tmp/"]);
    expect(await env.ok(["exec", "box", "sh", "-c", "cat /tmp/up.txt; stat -c %u:%g /tmp/up.txt"])).toBe("uploaded\n0:0\n");
    const listed = spawnSync(process.execPath, [skiffBin, "cp", "box:/srv", "-"], { env: env.env, maxBuffer: 1 << 24 });
    const names = spawnSync("tar", ["-tf", "-"], { input: listed.stdout, encoding: "utf8" }).stdout.trim().split("\n");
    expect(names).toEqual(["srv/", "srv/index.html"]);
    const intoTar = spawnSync("tar", ["-cf", "-", "-C", host, "up.txt"]).stdout;
    await env.ok(["cp", "-", "box:/srv"], { input: intoTar });
    expect(await env.ok(["exec", "box", "cat", "/srv/up.txt"])).toBe("uploaded\n");
    const missing = await env.run(["cp", "box:/no/such", host]);
    expect(missing.code).not.toBe(0);
  });

  test("no symlink in the container makes cp read or write outside its root", async () => {
    const secret = join(env.base, "work", "secret.txt");
    writeFileSync(secret, "host secret\n");
    await env.ok(["exec", "box", "sh", "-c", `ln -s ${secret} /tmp/evil-file; ln -s ${join(env.base, "work")} /tmp/evil-dir; ln -s ../../../../../../../.. /tmp/up`]);
    const out = join(env.base, "work", "out");
    mkdirSync(out);
    // Following links inside the container resolves within its root, so these find nothing of the host.
    expect((await env.run(["cp", "-L", "box:/tmp/evil-file", join(out, "f")])).code).not.toBe(0);
    expect(existsSync(join(out, "f"))).toBe(false);
    const viaDir = await env.run(["cp", "box:/tmp/evil-dir/secret.txt", join(out, "g")]);
    expect(viaDir.code).not.toBe(0);
    // Writing through a link lands inside the container.
    writeFileSync(join(out, "payload"), "p\n");
    await env.ok(["cp", join(out, "payload"), "box:/tmp/up/"]);
    expect(existsSync(join(env.base, "payload"))).toBe(false);
    expect(await env.ok(["exec", "box", "cat", "/payload"])).toBe("p\n");
    // Without -L a link is copied as a link.
    await env.ok(["cp", "box:/tmp/evil-file", join(out, "link")]);
    expect(readlinkSync(join(out, "link"))).toBe(secret);
  });

  test("export writes the container's whole root filesystem as a tar", async () => {
    await env.ok(["exec", "box", "sh", "-c", "echo changed > /srv/changed.txt"]);
    const file = join(env.base, "export.tar");
    await env.ok(["export", "-o", file, "box"]);
    const names = spawnSync("tar", ["-tf", file], { encoding: "utf8" }).stdout.split("\n");
    expect(names).toContain("bin/busybox");
    expect(names).toContain("srv/changed.txt");
    expect(names).toContain("etc/passwd");
    expect(spawnSync("tar", ["-xOf", file, "srv/changed.txt"], { encoding: "utf8" }).stdout).toBe("changed\n");
  });
});
