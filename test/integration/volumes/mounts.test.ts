import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { userInfo } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { SkiffEnv, isRoot } from "../../helpers/cli.js";
import { loadBusybox } from "../../helpers/busybox.js";
import { parseSubid } from "../../../src/userns/subid.js";

// Volumes seen from containers: named volumes that outlive their container,
// filling from the image, anonymous volumes and rm -v, --volumes-from,
// --mount, :ro, and who owns what a container writes.

let env: SkiffEnv;
let subuidStart: number;
const volumeData = (name: string) => join(env.storageRoot, "volumes", name, "_data");
const mountNames = async (id: string) => (await env.ok(["inspect", "-f", "{{range .Mounts}}{{.Destination}}={{.Name}} {{end}}", id])).trim().split(" ").map((p) => p.split("=") as [string, string]);

beforeAll(async () => {
  env = new SkiffEnv();
  await loadBusybox(
    env,
    "busybox:latest",
    [
      { path: "data/", type: "dir", uid: 1000, gid: 1000, mode: 0o750 },
      { path: "data/seed.txt", content: "from image\n", uid: 1000, gid: 1000 },
      { path: "data/sub/", type: "dir", uid: 1000, gid: 1000 },
      { path: "data/sub/deep.txt", content: "deep\n", uid: 1000, gid: 1000, mode: 0o600 },
      { path: "cache/", type: "dir" },
      { path: "cache/c.txt", content: "cached\n" },
      // A link to an absolute path: followed inside the image, never on the host.
      { path: "hostetc", type: "symlink", target: "/etc" },
    ],
    { Volumes: { "/cache": {} } },
  );
  subuidStart = parseSubid(readFileSync("/etc/subuid", "utf8"), userInfo().username, userInfo().uid)[0]!.start;
});
afterAll(() => env?.cleanup());

describe.skipIf(isRoot)("volumes in containers", () => {
  test("a named volume outlives its container and the next container sees its data", async () => {
    await env.ok(["run", "--name", "writer", "-v", "keep:/store", "busybox", "sh", "-c", "echo kept > /store/f"]);
    await env.ok(["rm", "-v", "writer"]);
    expect(readFileSync(join(volumeData("keep"), "f"), "utf8")).toBe("kept\n");
    expect(await env.ok(["run", "--rm", "-v", "keep:/elsewhere", "busybox", "cat", "/elsewhere/f"])).toBe("kept\n");
    expect((await env.ok(["volume", "ls", "-q"])).split("\n")).toContain("keep");
  });

  test("a new named volume is filled from the image's content at its path, owners and modes kept, and only while empty", async () => {
    expect(await env.ok(["run", "--rm", "-v", "filled:/data", "busybox", "sh", "-c", "cat /data/seed.txt; ls /data/sub; stat -c '%u:%g %a' /data /data/sub/deep.txt"])).toBe(
      "from image\ndeep.txt\n1000:1000 750\n1000:1000 600\n",
    );
    // Outside, the image's uid 1000 is the subordinate uid start + 999.
    expect(statSync(volumeData("filled")).uid).toBe(subuidStart + 999);
    // Not empty any more: changes stay, nothing is copied again.
    await env.ok(["run", "--rm", "-v", "filled:/data", "busybox", "sh", "-c", "rm /data/seed.txt && echo mine > /data/new.txt"]);
    expect(await env.ok(["run", "--rm", "-v", "filled:/data", "busybox", "ls", "/data"])).toBe("new.txt\nsub\n");
    // nocopy leaves a new volume empty.
    expect(await env.ok(["run", "--rm", "-v", "bare:/data:nocopy", "busybox", "ls", "-A", "/data"])).toBe("");
  });

  test("containers starting at once on a new volume: filled once, no container's write is undone", async () => {
    const runs = [1, 2, 3, 4].map((i) =>
      env.ok(["run", "--rm", "-v", "race:/cache", "busybox", "sh", "-c", `echo ${i} >> /cache/log; echo changed > /cache/c.txt`]),
    );
    await Promise.all(runs);
    expect(readFileSync(join(volumeData("race"), "c.txt"), "utf8")).toBe("changed\n");
    expect(readFileSync(join(volumeData("race"), "log"), "utf8").split("\n").filter(Boolean).sort()).toEqual(["1", "2", "3", "4"]);
  });

  test("a volume made before it is mounted is filled too; a symlinked path is resolved inside the image", async () => {
    await env.ok(["volume", "create", "made"]);
    expect(await env.ok(["run", "--rm", "-v", "made:/data", "busybox", "cat", "/data/seed.txt"])).toBe("from image\n");
    // /hostetc -> /etc in the image: the volume gets the image's /etc, not the host's.
    expect(await env.ok(["run", "--rm", "-v", "etcvol:/hostetc", "busybox", "ls", "/hostetc"])).toBe("group\npasswd\n");
    expect(readFileSync(join(volumeData("etcvol"), "passwd"), "utf8")).toMatch(/^root:x:0:0:root:\/root:\/bin\/sh\nuser:x:1000/);
  });

  test("uid 1000 in the container writes files that belong to the matching subordinate uid outside", async () => {
    // The image's /home/user (uid 1000, mode 755) makes the new volume's root writable for uid 1000.
    await env.ok(["run", "--rm", "-u", "1000", "-v", "owned:/home/user", "busybox", "sh", "-c", "echo x > ~/mine && mkdir ~/d"]);
    const f = statSync(join(volumeData("owned"), "mine"));
    expect(f.uid).toBe(subuidStart + 999);
    expect(f.gid).toBeGreaterThanOrEqual(subuidStart);
    expect(statSync(join(volumeData("owned"), "d")).uid).toBe(subuidStart + 999);
    // root in the container is the user outside.
    await env.ok(["run", "--rm", "-v", "owned:/data", "busybox", "touch", "/data/by-root"]);
    expect(statSync(join(volumeData("owned"), "by-root")).uid).toBe(userInfo().uid);
  });

  test(":U gives the mount's source to the container's user (Podman's option)", async () => {
    const denied = await env.run(["run", "--rm", "-u", "1000", "-v", "plain:/u", "busybox", "touch", "/u/f"]);
    expect(denied.code).not.toBe(0);
    expect(denied.stderr).toMatch(/Permission denied/);
    await env.ok(["run", "--rm", "-u", "1000:100", "-v", "plain:/u:U", "busybox", "touch", "/u/f"]);
    expect(statSync(volumeData("plain")).uid).toBe(subuidStart + 999);
    expect(statSync(join(volumeData("plain"), "f")).gid).toBe(subuidStart + 99);
    // A host directory too; by name, the user comes from the image's /etc/passwd.
    const dir = join(env.base, "work", "for-user");
    mkdirSync(dir);
    writeFileSync(join(dir, "old"), "");
    await env.ok(["run", "--rm", "-u", "user", "-v", `${dir}:/b:U`, "busybox", "touch", "/b/new"]);
    for (const f of ["", "old", "new"]) expect(statSync(join(dir, f)).uid, f).toBe(subuidStart + 999);
  });

  test("-v ./relative is the directory under the working directory of create, wherever start runs", async () => {
    const cwd = join(env.base, "work", "project");
    mkdirSync(join(cwd, "src"), { recursive: true });
    writeFileSync(join(cwd, "src", "main.txt"), "main\n");
    const id = (await env.ok(["create", "-v", "./src:/src", "busybox", "cat", "/src/main.txt"], { cwd })).trim();
    expect(await env.ok(["inspect", "-f", '{{range .Mounts}}{{if eq .Destination "/src"}}{{.Source}}{{end}}{{end}}', id])).toBe(`${join(cwd, "src")}\n`);
    expect(await env.ok(["start", "-a", id], { cwd: env.base })).toBe("main\n");
  });

  test(":ro makes writes fail, the data stays readable", async () => {
    await env.ok(["run", "--rm", "-v", "rovol:/r", "busybox", "sh", "-c", "echo before > /r/f"]);
    const r = await env.run(["run", "--rm", "-v", "rovol:/r:ro", "busybox", "sh", "-c", "cat /r/f; echo x > /r/g"]);
    expect(r.stdout).toBe("before\n");
    expect(r.stderr).toMatch(/Read-only file system/);
    expect(r.code).not.toBe(0);
    expect(existsSync(join(volumeData("rovol"), "g"))).toBe(false);
  });

  test("anonymous volumes (-v /path, image VOLUME) go with rm -v; named ones stay", async () => {
    const id = (await env.ok(["create", "-v", "/anon", "-v", "stays:/named", "busybox", "sh", "-c", "echo a > /anon/a; cat /cache/c.txt"])).trim();
    const names = Object.fromEntries(await mountNames(id));
    expect(names["/anon"]).toMatch(/^[0-9a-f]{64}$/);
    expect(names["/cache"]).toMatch(/^[0-9a-f]{64}$/);
    expect(names["/named"]).toBe("stays");
    // Docker's inspect: a volume's Source is its Mountpoint.
    expect(await env.ok(["inspect", "-f", "{{range .Mounts}}{{.Source}} {{end}}", id])).toBe(
      `${Object.values(names).map((n) => volumeData(n)).join(" ")} \n`,
    );
    // Created with the container, as in Docker.
    const listed = (await env.ok(["volume", "ls", "-q"])).split("\n");
    for (const n of Object.values(names)) expect(listed).toContain(n);
    const anonLabels = JSON.parse(await env.ok(["volume", "inspect", "-f", "{{json .Labels}}", names["/anon"]!]));
    expect(anonLabels).toEqual({ "com.docker.volume.anonymous": "" });
    // The image's VOLUME is filled from the image.
    expect(await env.ok(["start", "-a", id])).toBe("cached\n");
    expect(readFileSync(join(volumeData(names["/anon"]!), "a"), "utf8")).toBe("a\n");
    // Restarting finds the same anonymous volume.
    await env.ok(["start", "-a", id]);
    expect(await mountNames(id)).toEqual(Object.entries(names));
    await env.ok(["rm", "-v", id]);
    expect(existsSync(join(env.storageRoot, "volumes", names["/anon"]!))).toBe(false);
    expect(existsSync(join(env.storageRoot, "volumes", names["/cache"]!))).toBe(false);
    expect(existsSync(join(env.storageRoot, "locks", `volume-${names["/cache"]}.lock`))).toBe(false);
    expect(existsSync(volumeData("stays"))).toBe(true);
    // Without -v, rm keeps anonymous volumes.
    const kept = (await env.ok(["create", "-v", "/anon", "busybox", "true"])).trim();
    const keptName = Object.fromEntries(await mountNames(kept))["/anon"]!;
    await env.ok(["rm", kept]);
    expect(existsSync(volumeData(keptName))).toBe(true);
  });

  test("--rm removes the container's anonymous volumes when it exits, not named ones", async () => {
    const before = new Set((await env.ok(["volume", "ls", "-q"])).split("\n").filter(Boolean));
    expect(await env.ok(["run", "--rm", "-v", "/scratch", "-v", "rmnamed:/n", "busybox", "sh", "-c", "echo s > /scratch/s; echo n > /n/n; cat /scratch/s"])).toBe("s\n");
    const after = (await env.ok(["volume", "ls", "-q"])).split("\n").filter((n) => n && !before.has(n));
    expect(after).toEqual(["rmnamed"]);
  });

  test("--volumes-from takes another container's volumes, with :ro", async () => {
    await env.ok(["create", "--name", "holder", "-v", "/shared", "-v", "vf-named:/named", "busybox", "true"]);
    const holderNames = Object.fromEntries(await mountNames("holder"));
    await env.ok(["run", "--rm", "--volumes-from", "holder", "busybox", "sh", "-c", "echo hi > /shared/x; echo n > /named/y"]);
    expect(readFileSync(join(volumeData(holderNames["/shared"]!), "x"), "utf8")).toBe("hi\n");
    const ro = await env.run(["run", "--rm", "--volumes-from", "holder:ro", "busybox", "sh", "-c", "cat /shared/x /named/y; touch /shared/z"]);
    expect(ro.stdout).toBe("hi\nn\n");
    expect(ro.stderr).toMatch(/Read-only file system/);
    expect(ro.code).not.toBe(0);
    // A user of the holder's anonymous volume keeps it alive: its rm -v leaves it, and volume rm refuses it.
    await env.ok(["create", "--name", "borrower", "--volumes-from", "holder", "busybox", "true"]);
    await env.ok(["rm", "-v", "borrower"]);
    expect(existsSync(volumeData(holderNames["/shared"]!))).toBe(true);
    const busy = await env.run(["volume", "rm", holderNames["/shared"]!]);
    expect(busy.code).toBe(1);
    expect(busy.stderr).toMatch(/volume is in use/);
    // The mount points are copied at creation: the borrower keeps them when the holder is gone, even after rm -v.
    await env.ok(["create", "--name", "keeper", "--volumes-from", "holder:ro", "busybox", "cat", "/shared/x"]);
    await env.ok(["rm", "-v", "holder"]);
    expect(existsSync(volumeData(holderNames["/shared"]!))).toBe(true);
    expect(await env.ok(["start", "-a", "keeper"])).toBe("hi\n");
    // The holder's /cache wins over the image's VOLUME /cache (Docker's order).
    expect(await env.ok(["inspect", "-f", "{{range .Mounts}}{{.Destination}}={{.Name}}:{{.RW}} {{end}}", "keeper"])).toBe(
      `/cache=${holderNames["/cache"]}:false /shared=${holderNames["/shared"]}:false /named=vf-named:false \n`,
    );
    await env.ok(["rm", "-v", "keeper"]);
    expect(existsSync(volumeData(holderNames["/shared"]!))).toBe(true);
    const missing = await env.run(["run", "--rm", "--volumes-from", "no-such-holder", "busybox", "true"]);
    expect(missing.code).toBe(125);
    expect(missing.stderr).toMatch(/No such container: no-such-holder/);
  });

  test("--mount type=volume (named, anonymous, readonly) and type=tmpfs", async () => {
    await env.ok(["run", "--rm", "--mount", "type=volume,source=mvol,target=/m", "busybox", "sh", "-c", "echo m > /m/f"]);
    expect(await env.ok(["run", "--rm", "--mount", "source=mvol,destination=/again", "busybox", "cat", "/again/f"])).toBe("m\n");
    const ro = await env.run(["run", "--rm", "--mount", "type=volume,src=mvol,dst=/m,readonly", "busybox", "touch", "/m/g"]);
    expect(ro.code).not.toBe(0);
    expect(ro.stderr).toMatch(/Read-only file system/);
    const anon = (await env.ok(["create", "--mount", "type=volume,target=/data", "busybox", "cat", "/data/seed.txt"])).trim();
    expect(await env.ok(["start", "-a", anon])).toBe("from image\n");
    const nocopy = await env.ok(["run", "--rm", "--mount", "type=volume,source=mnocopy,target=/data,volume-nocopy", "busybox", "ls", "-A", "/data"]);
    expect(nocopy).toBe("");
    const tmpfs = await env.ok(["run", "--rm", "--mount", "type=tmpfs,target=/t,tmpfs-size=1m", "busybox", "sh", "-c", "echo x > /t/f && cat /t/f && grep ' /t ' /proc/mounts"]);
    expect(tmpfs).toMatch(/^x\ntmpfs \/t tmpfs .*size=1024k/);
    // volume-label and volume-opt make the new volume with them.
    const made = (await env.ok(["create", "--mount", "type=volume,source=mlabel,target=/l,volume-label=tier=db,volume-opt=type=tmpfs,volume-opt=device=tmpfs", "busybox", "grep", " /l ", "/proc/mounts"])).trim();
    expect(JSON.parse(await env.ok(["volume", "inspect", "-f", "{{json .Labels}}|{{json .Options}}", "mlabel"]).then((o) => `[${o.trim().replace("|", ",")}]`))).toEqual([
      { tier: "db" },
      { type: "tmpfs", device: "tmpfs" },
    ]);
    expect(await env.ok(["inspect", "-f", "{{range .Mounts}}{{.Mode}}{{end}}", made])).toBe("\n");
    expect(await env.ok(["start", "-a", made])).toMatch(/^tmpfs \/l tmpfs /);
    const bind = await env.run(["run", "--rm", "--mount", `type=bind,source=${join(env.base, "work")},target=/w`, "busybox", "ls", "-d", "/w"]);
    expect(bind.stdout).toBe("/w\n");
  });

  test("local driver options: a tmpfs volume, a bind volume", async () => {
    await env.ok(["volume", "create", "-o", "type=tmpfs", "-o", "device=tmpfs", "-o", "o=size=2m", "tmpvol"]);
    expect(await env.ok(["run", "--rm", "-v", "tmpvol:/t", "busybox", "grep", " /t ", "/proc/mounts"])).toMatch(/^tmpfs \/t tmpfs .*size=2048k/);
    const dir = join(env.base, "work", "bound");
    mkdirSync(dir);
    await env.ok(["volume", "create", "-o", "type=none", "-o", "o=bind", "-o", `device=${dir}`, "bindvol"]);
    await env.ok(["run", "--rm", "-v", "bindvol:/b", "busybox", "sh", "-c", "echo through > /b/f"]);
    expect(readFileSync(join(dir, "f"), "utf8")).toBe("through\n");
    expect(existsSync(join(volumeData("bindvol"), "f"))).toBe(false);
  });

  test("bad specs: Docker's messages, exit 125, no container left behind", async () => {
    const count = async () => (await env.ok(["ps", "-aq"])).split("\n").filter(Boolean).length;
    const before = await count();
    const cases: [string[], RegExp][] = [
      [["-v", "relative"], /invalid volume specification: 'relative': invalid mount config for type "volume": invalid mount path: 'relative' mount path must be absolute/],
      [["-v", "/host:rel"], /invalid volume specification: '\/host:rel': invalid mount config for type "bind": invalid mount path: 'rel' mount path must be absolute/],
      [["-v", "a:b:c:d"], /invalid volume specification: 'a:b:c:d'/],
      [["-v", "vol:/x:bogus"], /invalid mode: bogus/],
      [["-v", "bad/name:/x"], /"bad\/name" includes invalid characters for a local volume name, only "\[a-zA-Z0-9\]\[a-zA-Z0-9_.-\]" are allowed. If you intended to pass a host directory, use absolute path/],
      [["-v", "a:/x", "-v", "b:/x"], /Duplicate mount point: \/x/],
      [["--mount", "type=volume"], /invalid argument "type=volume" for "--mount" flag: target is required/],
      [["--mount", "type=volume,target=/x,bogus=1"], /invalid argument "type=volume,target=\/x,bogus=1" for "--mount" flag: unexpected key 'bogus' in 'bogus=1'/],
      [["--mount", "type=foo,target=/x"], /invalid mount config for type "foo": mount type unknown/],
      [["--mount", "type=bind,source=/no/such/dir,target=/x"], /invalid mount config for type "bind": bind source path does not exist: \/no\/such\/dir/],
      [["--mount", "type=tmpfs,source=x,target=/x"], /invalid mount config for type "tmpfs"/],
      [["--mount", "type=tmpfs,target=/x,volume-nocopy"], /invalid argument "type=tmpfs,target=\/x,volume-nocopy" for "--mount" flag: cannot mix 'volume-\*' options with mount type 'tmpfs'/],
      [["--mount", "type=volume,source=plugged,target=/x,volume-driver=nfs"], /create plugged: error looking up volume plugin nfs: plugin "nfs" not found/],
    ];
    for (const [flags, message] of cases) {
      const r = await env.run(["run", "--rm", ...flags, "busybox", "true"]);
      expect(r.code, flags.join(" ")).toBe(125);
      expect(r.stderr, flags.join(" ")).toMatch(message);
    }
    expect(await count()).toBe(before);
    expect(existsSync(join(env.storageRoot, "volumes", "a"))).toBe(false);
  });
});
