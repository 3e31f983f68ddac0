import { readFileSync, statSync } from "node:fs";
import { userInfo } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { SkiffEnv, isRoot } from "../../helpers/cli.js";
import { loadBusybox } from "../../helpers/busybox.js";

// What a container can and cannot do, checked from inside and outside.

let env: SkiffEnv;
beforeAll(async () => {
  env = new SkiffEnv();
  await loadBusybox(env);
});
afterAll(() => env?.cleanup());

// CHOWN DAC_OVERRIDE FOWNER FSETID KILL SETGID SETUID SETPCAP NET_BIND_SERVICE NET_RAW SYS_CHROOT MKNOD AUDIT_WRITE SETFCAP
const DOCKER_DEFAULT_CAPS = "00000000a80425fb";

function field(status: string, name: string): string {
  return new RegExp(`^${name}:\\s*(\\S+)`, "m").exec(status)?.[1] ?? "";
}

describe.skipIf(isRoot)("container security", () => {
  test("uid 0 inside is the user outside, not root", async () => {
    const map = (await env.ok(["run", "--rm", "busybox", "cat", "/proc/self/uid_map"])).trim().split("\n")[0]!.trim().split(/\s+/);
    expect(map).toEqual(["0", String(userInfo().uid), "1"]);
    const dir = join(env.base, "work");
    await env.ok(["run", "--rm", "-v", `${dir}:/w`, "busybox", "touch", "/w/by-root"]);
    expect(statSync(join(dir, "by-root")).uid).toBe(userInfo().uid);
  });

  test("Docker's default capabilities for root, none for another user, NoNewPrivs 1", async () => {
    const root = await env.ok(["run", "--rm", "busybox", "cat", "/proc/self/status"]);
    expect(field(root, "CapEff")).toBe(DOCKER_DEFAULT_CAPS);
    expect(field(root, "CapPrm")).toBe(DOCKER_DEFAULT_CAPS);
    expect(field(root, "CapBnd")).toBe(DOCKER_DEFAULT_CAPS);
    expect(field(root, "CapInh")).toBe("0000000000000000");
    expect(field(root, "NoNewPrivs")).toBe("1");
    const user = await env.ok(["run", "--rm", "-u", "1000", "busybox", "cat", "/proc/self/status"]);
    expect(field(user, "CapEff")).toBe("0000000000000000");
    expect(field(user, "CapBnd")).toBe(DOCKER_DEFAULT_CAPS);
    const dropped = await env.ok(["run", "--rm", "--cap-drop", "NET_RAW", "--cap-add", "SYS_ADMIN", "busybox", "cat", "/proc/self/status"]);
    expect(BigInt(`0x${field(dropped, "CapEff")}`)).toBe((BigInt(`0x${DOCKER_DEFAULT_CAPS}`) & ~(1n << 13n)) | (1n << 21n));
  });

  test("masked and read-only /proc paths cannot be written or read", async () => {
    const sys = await env.run(["run", "--rm", "busybox", "sh", "-c", "echo 1 > /proc/sys/kernel/domainname"]);
    expect(sys.code).not.toBe(0);
    expect(sys.stderr).toMatch(/Read-only file system|Permission denied/);
    expect(await env.ok(["run", "--rm", "busybox", "sh", "-c", "wc -c < /proc/keys; ls -A /proc/acpi 2>/dev/null | wc -l"])).toBe("0\n0\n");
    const mounts = await env.ok(["run", "--rm", "busybox", "cat", "/proc/mounts"]);
    expect(mounts).toMatch(/ \/proc\/sys \S+ ro,/);
  });

  test("nothing of the host outside the rootfs and the given mounts is visible", async () => {
    const out = await env.ok(["run", "--rm", "busybox", "sh", "-c", `ls ${env.base} 2>&1; ls /home; ls /proc | grep -c '^[0-9]'`]);
    const [missing, home, procs] = out.trim().split("\n");
    expect(missing).toMatch(/No such file or directory/);
    expect(home).toBe("user");
    expect(Number(procs)).toBeLessThanOrEqual(3);
  });

  test("a container cannot signal processes outside its pid namespace", async () => {
    const r = await env.run(["run", "--rm", "busybox", "sh", "-c", `kill -0 ${process.pid} 2>&1; echo "status $?"`]);
    expect(r.stdout).toMatch(/status 1/);
    expect(r.stdout).toMatch(/No such process|can't kill/);
  });

  test("a container cannot change the image: a second container sees it unchanged", async () => {
    await env.ok(["run", "--rm", "busybox", "sh", "-c", "echo evil > /bin/busybox; rm /etc/passwd; echo x > /etc/group"]);
    expect(await env.ok(["run", "--rm", "busybox", "sh", "-c", "head -c 4 /bin/busybox | od -An -c | tr -d ' '; grep -c root /etc/passwd"])).toBe("177ELF\n1\n");
    const layers = JSON.parse(await env.ok(["image", "inspect", "-f", "{{json .RootFS.Layers}}", "busybox"])) as string[];
    const diff = join(env.storageRoot, "layers", layers[0]!.slice(7), "diff");
    expect(readFileSync(join(diff, "bin", "busybox")).subarray(1, 4).toString()).toBe("ELF");
    expect(readFileSync(join(diff, "etc", "passwd"), "utf8")).toMatch(/^root:/);
  });
});
