import { spawn, spawnSync } from "node:child_process";
import { chmodSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { userInfo } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, test } from "vitest";
import { SkiffEnv, isRoot, skiffBin } from "../helpers/cli.js";
import { parseSubid } from "../../src/userns/subid.js";
import { nativeProgram } from "../../src/config/install.js";

// The rootless namespace, as an ordinary user: real newuidmap, real
// /etc/subuid, a real pause process.

const me = userInfo();
const envs: SkiffEnv[] = [];
function fresh(extra: NodeJS.ProcessEnv = {}): SkiffEnv {
  const e = new SkiffEnv(extra);
  envs.push(e);
  return e;
}
afterEach(() => {
  while (envs.length) envs.pop()!.cleanup();
});

describe.skipIf(isRoot)("skiff unshare", () => {
  test("maps uid 0 to the user and 1.. to the subordinate range", async () => {
    const env = fresh();
    const ranges = parseSubid(readFileSync("/etc/subuid", "utf8"), me.username, me.uid);
    expect(ranges.length).toBeGreaterThan(0);
    const out = await env.ok(["unshare", "cat", "/proc/self/uid_map"]);
    const rows = out.trim().split("\n").map((l) => l.trim().split(/\s+/).map(Number));
    expect(rows[0]).toEqual([0, me.uid, 1]);
    expect(rows[1]).toEqual([1, ranges[0]!.start, ranges[0]!.count]);
    expect(await env.ok(["unshare", "id", "-u"])).toBe("0\n");
  });

  test("a file chowned to container uid 1000 belongs to subuid-start+999 outside", async () => {
    const env = fresh();
    const ranges = parseSubid(readFileSync("/etc/subuid", "utf8"), me.username, me.uid);
    const f = join(env.base, "work", "owned");
    await env.ok(["unshare", "sh", "-c", `touch ${f} && chown 1000:1000 ${f}`]);
    const st = spawnSync("stat", ["-c", "%u", f], { encoding: "utf8" });
    expect(Number(st.stdout.trim())).toBe(ranges[0]!.start + 999);
  });

  test("processes started at the same moment share one namespace; it is reused while alive and recreated when dead", async () => {
    const env = fresh();
    const outs = await Promise.all(Array.from({ length: 6 }, () => env.ok(["unshare", "readlink", "/proc/self/ns/user"])));
    expect(new Set(outs).size).toBe(1);
    const pid = env.pausePid()!;
    expect(pid).toBeGreaterThan(0);
    expect(readFileSync(`/proc/${pid}/comm`, "utf8").trim()).toBe("skiff-pause");
    expect(await env.ok(["unshare", "readlink", "/proc/self/ns/user"])).toBe(outs[0]);
    process.kill(pid, "SIGKILL");
    const again = await env.ok(["unshare", "readlink", "/proc/self/ns/user"]);
    expect(env.pausePid()).not.toBe(pid);
    expect(again).toMatch(/^user:\[\d+\]\n$/);
  });

  test("creating the pause process never mistakes its report for its pid (400 creations, 8 at once)", async () => {
    // The pause process reports its unshare result while its parent reports
    // its pid; on one pipe the result could come first (about 1 in 100 under load).
    const dir = fresh().base;
    const start = parseSubid(readFileSync("/etc/subuid", "utf8"), me.username, me.uid)[0]!.start;
    const gstart = parseSubid(readFileSync("/etc/subgid", "utf8"), me.username, me.uid)[0]!.start;
    const once = (i: number) =>
      new Promise<string>((resolve) => {
        const pidfile = join(dir, `p${i}`);
        const child = spawn(nativeProgram("skiff-ns"), [
          "--pidfile", pidfile,
          "--uidmap", `0 ${me.uid} 1 1 ${start} 65536`,
          "--gidmap", `0 ${me.gid} 1 1 ${gstart} 65536`,
          "--newuidmap", "/usr/bin/newuidmap",
          "--newgidmap", "/usr/bin/newgidmap",
          "--", "true",
        ], { stdio: ["ignore", "ignore", "pipe"] });
        let err = "";
        child.stderr.on("data", (d: Buffer) => (err += d.toString()));
        child.on("close", (code) => {
          try {
            process.kill(Number(readFileSync(pidfile, "utf8").split(" ")[0]), "SIGKILL");
          } catch {
            /* no pause process */
          }
          resolve(code === 0 ? "ok" : `exit ${code}: ${err.trim()}`);
        });
      });
    const results: string[] = [];
    for (let i = 0; i < 400; i += 8) results.push(...(await Promise.all(Array.from({ length: 8 }, (_, k) => once(i + k)))));
    expect(results.filter((r) => r !== "ok")).toEqual([]);
  }, 120_000);

  test("exit status of the command is passed through, 127 for a missing command", async () => {
    const env = fresh();
    expect((await env.run(["unshare", "sh", "-c", "exit 7"])).code).toBe(7);
    const r = await env.run(["unshare", "no-such-command-here"]);
    expect(r.code).toBe(127);
    expect(r.stderr).toMatch(/no-such-command-here: executable file not found in \$PATH/);
  });

  test("the runtime directory is private to the user", async () => {
    const env = fresh();
    await env.ok(["unshare", "true"]);
    const st = spawnSync("stat", ["-c", "%a %u", env.runRoot], { encoding: "utf8" });
    expect(st.stdout.trim()).toBe(`700 ${me.uid}`);
  });

  test("without XDG_RUNTIME_DIR the runtime directory is /tmp/skiff-run-$UID", async () => {
    const env = fresh();
    const r = await env.run(["info", "--format", "json"], { env: { XDG_RUNTIME_DIR: "" } });
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout).storage.runRoot).toBe(`/tmp/skiff-run-${me.uid}`);
  });

  test("inside the namespace (uid 0 there) skiff still uses /tmp/skiff-run-$UID, not /tmp/skiff-run-0", async () => {
    const env = fresh({ XDG_RUNTIME_DIR: "" });
    try {
      const r = await env.run(["unshare", process.execPath, skiffBin, "info", "--format", "{{json .storage.runRoot}}"]);
      expect(r.code, r.stderr).toBe(0);
      expect(r.stdout).toBe(`"/tmp/skiff-run-${me.uid}"\n`);
    } finally {
      // This test's pause process lives in the shared fallback directory: end it.
      try {
        process.kill(Number(readFileSync(`/tmp/skiff-run-${me.uid}/pause.pid`, "utf8").split(" ")[0]), "SIGKILL");
      } catch {
        /* none */
      }
    }
  });
});

describe.skipIf(isRoot)("rootless set-up problems give one clear line and exit 125", () => {
  test("newuidmap missing from PATH", async () => {
    const env = fresh();
    const bin = join(env.base, "bin");
    mkdirSync(bin);
    // A PATH with the basic tools but no newuidmap.
    for (const t of ["sh", "true", "cat", "id"]) spawnSync("ln", ["-s", spawnSync("sh", ["-c", `command -v ${t}`], { encoding: "utf8" }).stdout.trim(), join(bin, t)]);
    const r = await env.run(["unshare", "true"], { env: { PATH: bin } });
    expect(r.code).toBe(125);
    expect(r.stderr).toMatch(/^Error: newuidmap not found in \$PATH/m);
    expect(r.stderr).toMatch(/^Hint: install the uidmap package/m);
    expect(r.stderr).not.toMatch(/at .*\.js/); // no stack trace
  });

  test("a user without subordinate ranges falls back to a single-id map, with a warning", async () => {
    const empty = join(fresh().base, "empty-subid");
    writeFileSync(empty, "someoneelse:100000:65536\n");
    const env = fresh({ SKIFF_SUBUID_FILE: empty, SKIFF_SUBGID_FILE: empty });
    const r = await env.run(["unshare", "cat", "/proc/self/uid_map"]);
    expect(r.code).toBe(0);
    expect(r.stdout.trim().split(/\s+/).map(Number)).toEqual([0, me.uid, 1]);
    expect(r.stderr).toMatch(/single-id mapping/);
  });

  test("blocked user namespaces (user.max_user_namespaces=0) are named with the fix", async () => {
    const env = fresh();
    const script = `echo 0 > /proc/sys/user/max_user_namespaces && exec "${process.execPath}" "${skiffBin}" unshare true`;
    const r = spawnSync("unshare", ["-U", "-r", "sh", "-c", script], { env: env.env, encoding: "utf8" });
    expect(r.status).toBe(125);
    expect(r.stderr).toMatch(/^Error: cannot create a user namespace: .*No space left on device/m);
    expect(r.stderr).toMatch(/user\.max_user_namespaces/);
  });

  test("an unwritable runtime directory", async () => {
    const env = fresh();
    const ro = join(env.base, "ro");
    mkdirSync(ro);
    chmodSync(ro, 0o500);
    const r = await env.run(["unshare", "true"], { env: { XDG_RUNTIME_DIR: ro } });
    expect(r.code).toBe(125);
    expect(r.stderr).toMatch(/^Error: cannot use runtime directory .*\/ro\/skiff: permission denied/m);
    expect(r.stderr.trim().split("\n")).toHaveLength(2);
  });
});
