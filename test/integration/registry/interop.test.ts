import { spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { SkiffEnv, isRoot } from "../../helpers/cli.js";
import { Podman, hasPodman } from "../../helpers/podman.js";
import { startRegistry, type TestRegistry } from "../../helpers/registry.js";
import { mkdirSync } from "node:fs";
import { busyboxEntries, dockerArchive, layerTar, ociArchive, sha256 } from "../../fixtures/images.js";
import { readTree, treeLines } from "./tree.js";

// skiff and the containers/image tools through one registry: what skiff
// pushes, podman pulls and runs; what skopeo pushes (whiteouts, opaque
// directories, hard links, symlinks, setuid, owners), skiff pulls into the
// same tree podman does.

const hasSkopeo = spawnSync("skopeo", ["--version"]).status === 0;

let reg: TestRegistry;
let env: SkiffEnv;
let podman: Podman;

beforeAll(async () => {
  reg = await startRegistry();
  env = new SkiffEnv();
  podman = new Podman(env.base);
});
afterAll(async () => {
  podman?.cleanup();
  env?.cleanup();
  await reg?.stop();
});

function skopeo(args: string[]): string {
  const r = spawnSync("skopeo", args, { encoding: "utf8" });
  if (r.status !== 0) throw new Error(`skopeo ${args.join(" ")} failed (${r.status}): ${r.stderr}`);
  return r.stdout;
}

/** Three layers that use every kind of entry a layer may hold. */
async function richLayers(): Promise<Buffer[]> {
  const base = await layerTar([
    ...busyboxEntries(),
    { path: "opt/", type: "dir" },
    { path: "opt/keep/", type: "dir", mode: 0o750, uid: 1000, gid: 1000 },
    { path: "opt/keep/old-a", content: "old a\n" },
    { path: "opt/keep/sub/", type: "dir" },
    { path: "opt/keep/sub/old-b", content: "old b\n" },
    { path: "opt/gone/", type: "dir" },
    { path: "opt/gone/file", content: "going\n" },
    { path: "etc/old.conf", content: "old=1\n" },
    { path: "var/", type: "dir" },
    { path: "var/blob.bin", content: randomBytes(300_000) },
    { path: "var/replaced", content: "first version\n" },
  ]);
  const middle = await layerTar([
    { path: "etc/.wh.old.conf" },
    { path: "opt/keep/", type: "dir", mode: 0o750, uid: 1000, gid: 1000 },
    { path: "opt/keep/.wh..wh..opq" },
    { path: "opt/keep/new", content: "new in opaque dir\n", uid: 1000, gid: 1000 },
    { path: "usr/", type: "dir" },
    { path: "usr/share/", type: "dir" },
    { path: "usr/share/one", content: "linked content\n", mode: 0o640, uid: 1000, gid: 100 },
    // Link headers repeat the inode's mode and owner, as every tar writer does
    // (Docker applies a link header's mode and owner to the shared inode).
    { path: "usr/share/two", type: "link", target: "usr/share/one", mode: 0o640, uid: 1000, gid: 100 },
    { path: "usr/share/three", type: "link", target: "usr/share/one", mode: 0o640, uid: 1000, gid: 100 },
    { path: "usr/bin/", type: "dir" },
    { path: "usr/bin/alias", type: "symlink", target: "../../bin/busybox" },
    { path: "usr/bin/dangling", type: "symlink", target: "/nowhere/at/all" },
    { path: "usr/bin/suid", content: "#!/bin/sh\necho suid\n", mode: 0o4755 },
    { path: "usr/bin/sgid", content: "#!/bin/sh\necho sgid\n", mode: 0o2711, gid: 100 },
    { path: "var/replaced", content: "second version, longer\n" },
    { path: "var/sticky/", type: "dir", mode: 0o1777 },
    { path: "var/fifo", type: "fifo", mode: 0o600 },
  ]);
  const top = await layerTar([
    { path: "opt/.wh.gone" },
    { path: "var/nobody", content: "nobody's\n", uid: 65534, gid: 65534, mode: 0o600 },
    { path: "var/compressible", content: Buffer.alloc(200_000, "abcdefgh") },
  ]);
  return [base, middle, top];
}

function run(cmd: string, args: string[]): string {
  const r = spawnSync(cmd, args, { encoding: "utf8" });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(" ")} failed (${r.status}): ${r.stderr}`);
  return r.stdout;
}

describe.skipIf(isRoot || !hasPodman)("skiff → registry → podman", () => {
  test("an image skiff pushes pulls and runs under podman, with the same digest and layers", async () => {
    const layers = [await layerTar(busyboxEntries()), await layerTar([{ path: "srv/", type: "dir" }, { path: "srv/data.txt", content: "from skiff\n", uid: 1000 }])];
    const archive = join(env.base, "skiff-made.tar");
    await dockerArchive(archive, [{ tags: ["localhost/made:1"], layers, run: { Cmd: ["cat", "/srv/data.txt"] } }]);
    await env.ok(["load", "-i", archive]);
    const name = `${reg.host}/interop/from-skiff:1`;
    await env.ok(["tag", "localhost/made:1", name]);
    const pushed = await env.ok(["push", name]);
    const digest = /digest: (sha256:[0-9a-f]{64}) size: \d+/.exec(pushed)?.[1];
    expect(digest).toBeDefined();

    podman.ok(["pull", "--tls-verify=false", name]);
    const inspect = JSON.parse(podman.ok(["image", "inspect", name])) as { Digest: string; RootFS: { Layers: string[] } }[];
    expect(inspect[0]!.Digest).toBe(digest);
    expect(inspect[0]!.RootFS.Layers).toEqual(layers.map((l) => sha256(l)));
    // crun refuses this host's hybrid cgroup layout even with --cgroups=disabled:
    // run the image's own programs in the root podman prepared, inside podman's namespace.
    podman.ok(["create", "--name", "from-skiff", name]);
    const store = podman.args().join(" ");
    const script = `set -e; m=$(podman ${store} mount from-skiff); /usr/sbin/chroot "$m" /bin/cat /srv/data.txt; /usr/sbin/chroot "$m" /bin/stat -c %u /srv/data.txt; podman ${store} umount from-skiff >/dev/null`;
    expect(podman.ok(["unshare", "sh", "-c", script])).toBe("from skiff\n1000\n");
  });
});

describe.skipIf(isRoot || !hasPodman || !hasSkopeo)("skopeo → registry → skiff", () => {
  let name: string;
  let manifestDigest: string;

  beforeAll(async () => {
    const archive = join(env.base, "rich.tar");
    ({ manifestDigests: [manifestDigest] = [] } = await ociArchive(archive, [{ tags: ["rich"], layers: await richLayers() }]));
    name = `${reg.host}/interop/rich:1`;
    // skopeo's oci-archive: chowns what it unpacks (root's files, not ours to make): give it the layout directory.
    const layout = join(env.base, "rich-layout");
    mkdirSync(layout);
    run("tar", ["-xf", archive, "-C", layout]);
    skopeo(["copy", "--quiet", "--dest-tls-verify=false", `oci:${layout}:rich`, `docker://${name}`]);
  });

  test("skiff pulls the digest skopeo pushed", async () => {
    await env.ok(["pull", "-q", name]);
    const repoDigests = JSON.parse(await env.ok(["image", "inspect", "-f", "{{json .RepoDigests}}", name])) as string[];
    expect(repoDigests).toContain(`${reg.host}/interop/rich@${manifestDigest}`);
    expect(skopeo(["inspect", "--tls-verify=false", "--format", "{{.Digest}}", `docker://${name}`]).trim()).toBe(manifestDigest);
  });

  test("the pulled tree is identical to podman's: paths, types, modes, owners, sizes, contents, links", async () => {
    await env.ok(["pull", "-q", name]);
    await env.ok(["create", "--name", "rich", name, "true"]);
    const ours = join(env.base, "skiff-export.tar");
    await env.ok(["export", "-o", ours, "rich"]);

    podman.ok(["pull", "-q", "--tls-verify=false", name]);
    podman.ok(["create", "--name", "rich", name, "true"]);
    const theirs = join(env.base, "podman-export.tar");
    podman.ok(["export", "-o", theirs, "rich"]);

    const a = await readTree(ours);
    const b = await readTree(theirs);
    expect(treeLines(a)).toEqual(treeLines(b));

    // And the tree is the one the layers describe, not a shared mistake.
    const e = a.entries;
    expect(e.has("etc/old.conf")).toBe(false);
    expect(e.has("opt/gone")).toBe(false);
    expect(e.has("opt/gone/file")).toBe(false);
    expect([...e.keys()].filter((p) => p.startsWith("opt/keep/")).sort()).toEqual(["opt/keep/new"]);
    expect(e.get("opt/keep")).toMatchObject({ type: "dir", mode: "0750", owner: "1000:1000" });
    expect(e.get("usr/bin/suid")).toMatchObject({ type: "file", mode: "4755", owner: "0:0" });
    expect(e.get("usr/bin/sgid")).toMatchObject({ mode: "2711", owner: "0:100" });
    expect(e.get("usr/bin/alias")).toMatchObject({ type: "symlink", target: "../../bin/busybox" });
    expect(e.get("usr/bin/dangling")).toMatchObject({ type: "symlink", target: "/nowhere/at/all" });
    expect(e.get("var/sticky")).toMatchObject({ type: "dir", mode: "1777" });
    expect(e.get("var/fifo")).toMatchObject({ type: "fifo", mode: "0600" });
    expect(e.get("var/nobody")).toMatchObject({ owner: "65534:65534", mode: "0600" });
    expect(e.get("var/replaced")).toMatchObject({ size: "second version, longer\n".length });
    expect(e.get("var/blob.bin")?.size).toBe(300_000);
    expect(a.hardlinks).toEqual([["usr/share/one", "usr/share/three", "usr/share/two"]]);
    expect(e.get("usr/share/two")).toMatchObject({ mode: "0640", owner: "1000:100", size: 15 });
    expect(await env.ok(["run", "--rm", "--network", "none", name, "sh", "-c", "cat /var/replaced; ls /opt/keep; cat /usr/share/three"])).toBe(
      "second version, longer\nnew\nlinked content\n",
    );
  });

  test("umoci's rootless unpack of skopeo's copy agrees on contents and modes", async () => {
    const layout = join(env.base, "oci-layout");
    skopeo(["copy", "--quiet", "--src-tls-verify=false", `docker://${name}`, `oci:${layout}:rich`]);
    const bundle = join(env.base, "umoci-bundle");
    run("umoci", ["unpack", "--rootless", "--image", `${layout}:rich`, bundle]);
    const rootfs = join(bundle, "rootfs");
    const tarFile = join(env.base, "umoci.tar");
    run("tar", ["-C", rootfs, "--numeric-owner", "--owner=0", "--group=0", "-cf", tarFile, "."]);
    // umoci --rootless cannot chown: compare everything but owners.
    const strip = (lines: string[]) => lines.map((l) => l.replace(/^(\S+ \S+ \S*) \d+:\d+/, "$1"));
    const ours = await readTree(join(env.base, "skiff-export.tar"));
    expect(strip(treeLines(await readTree(tarFile)))).toEqual(strip(treeLines(ours)));
  });
});
