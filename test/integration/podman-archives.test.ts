import { readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { SkiffEnv, isRoot } from "../helpers/cli.js";
import { Podman, hasPodman } from "../helpers/podman.js";
import { busyboxEntries, dockerArchive, layerTar, sha256 } from "../fixtures/images.js";

// Archives cross between skiff and podman both ways, keeping the image id
// (the config digest) and the layers.

let env: SkiffEnv;
let podman: Podman;
let id: string;
let diffIds: string[];

beforeAll(async () => {
  env = new SkiffEnv();
  podman = new Podman(env.base);
  const base = await layerTar(busyboxEntries());
  const extra = await layerTar([
    { path: "srv/", type: "dir", uid: 1000, gid: 1000 },
    { path: "srv/data.txt", content: "data\n", uid: 1000, gid: 1000 },
    { path: "etc/.wh.group", content: "" },
  ]);
  const archive = join(env.base, "src.tar");
  await dockerArchive(archive, [{ tags: ["localhost/interop:1"], layers: [base, extra], run: { Cmd: ["cat", "/srv/data.txt"] } }]);
  await env.ok(["load", "-i", archive]);
  id = (await env.ok(["image", "inspect", "-f", "{{.Id}}", "localhost/interop:1"])).trim();
  diffIds = [sha256(base), sha256(extra)];
});
afterAll(() => {
  podman?.cleanup();
  env?.cleanup();
});

describe.skipIf(isRoot || !hasPodman)("archives between skiff and podman", () => {
  test.each(["docker-archive", "oci-archive"])("skiff save --format %s loads in podman with the same image id", async (format) => {
    const out = join(env.base, `to-podman-${format}.tar`);
    await env.ok(["save", "--format", format, "-o", out, "localhost/interop:1"]);
    const loaded = podman.ok(["load", "-i", out]);
    expect(loaded).toMatch(/Loaded image/);
    const inspect = JSON.parse(podman.ok(["image", "inspect", "localhost/interop:1"])) as { Id: string; RootFS: { Layers: string[] } }[];
    expect(`sha256:${inspect[0]!.Id.replace(/^sha256:/, "")}`).toBe(id);
    expect(inspect[0]!.RootFS.Layers).toEqual(diffIds);
    podman.ok(["rmi", "-f", "localhost/interop:1"]);
  });

  test("podman's docker-archive and oci-archive load into skiff", async () => {
    const src = join(env.base, "for-podman.tar");
    await env.ok(["save", "-o", src, "localhost/interop:1"]);
    podman.ok(["load", "-i", src]);
    const dockerOut = join(env.base, "from-podman-docker.tar");
    const ociOut = join(env.base, "from-podman-oci.tar");
    podman.ok(["save", "--format", "docker-archive", "-o", dockerOut, "localhost/interop:1"]);
    podman.ok(["save", "--format", "oci-archive", "-o", ociOut, "localhost/interop:1"]);
    await env.ok(["rmi", "localhost/interop:1"]);
    expect(await env.ok(["load", "-i", dockerOut])).toBe("Loaded image: localhost/interop:1\n");
    expect((await env.ok(["image", "inspect", "-f", "{{.Id}}", "localhost/interop:1"])).trim()).toBe(id);
    expect(await env.ok(["load"], { input: readFileSync(ociOut) })).toMatch(/Loaded image: localhost\/interop:1\n$/);
    const layers = JSON.parse(await env.ok(["image", "inspect", "-f", "{{json .RootFS.Layers}}", "localhost/interop:1"])) as string[];
    expect(layers).toEqual(diffIds);
    expect((await env.run(["system", "check"])).code).toBe(0);
  });
});
