import { randomBytes } from "node:crypto";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { isRoot, SkiffEnv } from "../../helpers/cli.js";
import { loadBusybox } from "../../helpers/busybox.js";
import { startRegistry, type TestRegistry } from "../../helpers/registry.js";
import { busyboxEntries, layerTar } from "../../fixtures/images.js";
import { dockerAt, dockerCli, request, runClient, startService, type ServiceProcess } from "./service-process.js";

// The image endpoints judged by the docker CLI 28 itself, against a
// `skiff system service` of this user: what it prints and how it exits,
// checked against what the skiff CLI says of the same store — the two
// faces of one engine must agree.

describe.skipIf(isRoot || !dockerCli)("the docker CLI's image commands", () => {
  let e: SkiffEnv;
  let svc: ServiceProcess;
  let sock: string;
  let reg: TestRegistry;
  let docker: ReturnType<typeof dockerAt>;

  beforeAll(async () => {
    e = new SkiffEnv();
    reg = await startRegistry();
    await loadBusybox(e);
    await loadBusybox(e, "labelled:1", [{ path: "etc/labelled", content: "yes\n" }], { Labels: { tier: "web" } });
    sock = join(e.base, "api.sock");
    svc = await startService(e, ["--time", "0", `unix://${sock}`]);
    docker = dockerAt(sock, join(e.base, "docker-config"));
  });
  afterAll(async () => {
    await svc?.stop();
    e?.cleanup();
    await reg?.stop();
  });

  const ok = async (args: string[], opts?: Parameters<typeof docker>[1]) => {
    const r = await docker(args, opts);
    if (r.code !== 0) throw new Error(`docker ${args.join(" ")} exited ${r.code}\n${r.stderr}${r.stdout}`);
    return r.stdout;
  };

  test("images: the rows, --filter reference/label/dangling, --format, as skiff images prints them", async () => {
    const format = "{{.Repository}}:{{.Tag}} {{.ID}} {{.Size}}";
    const rows = await ok(["images", "--format", format]);
    expect(rows).toBe(await e.ok(["images", "--format", format]));
    expect(rows.split("\n").filter(Boolean).map((l) => l.split(" ")[0]).sort()).toEqual(["busybox:latest", "labelled:1"]);
    expect(await ok(["images", "--filter", "label=tier=web", "--format", "{{.Repository}}"])).toBe("labelled\n");
    expect(await ok(["images", "--filter", "label=tier=db", "--format", "{{.Repository}}"])).toBe("");
    expect(await ok(["images", "busybox", "--format", "{{.Repository}}:{{.Tag}}"])).toBe("busybox:latest\n");
    expect(await ok(["images", "--filter", "reference=label*", "--format", "{{.Repository}}"])).toBe("labelled\n");
    expect(await ok(["images", "-q", "--filter", "dangling=true"])).toBe("");
    const table = await ok(["images"]);
    expect(table.split("\n")[0]).toMatch(/^REPOSITORY +TAG +IMAGE ID +CREATED +SIZE$/);
    const bad = await docker(["images", "--filter", "colour=red"]);
    expect([bad.code, bad.stderr]).toEqual([1, "Error response from daemon: invalid filter 'colour'\n"]);
  });

  test("image inspect and history answer what skiff's own inspect and history say; a missing image is Docker's 404", async () => {
    const [img] = JSON.parse(await ok(["image", "inspect", "labelled:1"])) as Record<string, unknown>[];
    expect(img!.Id).toBe((await e.ok(["image", "inspect", "-f", "{{.Id}}", "labelled:1"])).trim());
    expect(img).toMatchObject({ RepoTags: ["labelled:1"], Os: "linux", Config: { Labels: { tier: "web" } } });
    expect("VirtualSize" in img!).toBe(false);
    expect(await ok(["image", "inspect", "-f", "{{.Config.Labels.tier}} {{len .RootFS.Layers}}", "labelled:1"])).toBe("web 2\n");
    const missing = await docker(["image", "inspect", "no-such-image"]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/No such image: no-such-image/);
    const format = "{{.ID}}|{{.CreatedBy}}|{{.Size}}";
    const hist = await ok(["history", "--no-trunc", "--format", format, "labelled:1"]);
    expect(hist).toBe(await e.ok(["history", "--no-trunc", "--format", format, "labelled:1"]));
    expect(hist.split("\n").filter(Boolean)).toHaveLength(2);
  });

  test("tag, then rmi: Docker's Untagged and Deleted lines; 409 while a container uses the image", async () => {
    await ok(["tag", "busybox", "tagged/app:1"]);
    expect(await e.ok(["images", "tagged/app", "--format", "{{.Repository}}:{{.Tag}}"])).toBe("tagged/app:1\n");
    expect(await ok(["rmi", "tagged/app:1"])).toBe("Untagged: tagged/app:1\n");
    const noSource = await docker(["tag", "nothing-here", "x:1"]);
    expect([noSource.code, noSource.stderr]).toEqual([1, "Error response from daemon: No such image: nothing-here\n"]);

    await loadBusybox(e, "inuse:1", [{ path: "etc/inuse", content: "1\n" }]);
    const id = (await e.ok(["image", "inspect", "-f", "{{.Id}}", "inuse:1"])).trim();
    const ctr = (await e.ok(["create", "--name", "uses-it", "inuse:1", "true"])).trim();
    const refused = await docker(["rmi", "inuse:1"]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toBe(
      `Error response from daemon: conflict: unable to remove repository reference "inuse:1" (must force) - container ${ctr.slice(0, 12)} is using its referenced image ${id.slice(7, 19)}\n`,
    );
    const raw = await request(sock, "DELETE", "/v1.44/images/inuse:1");
    expect(raw.status).toBe(409);
    expect(await e.ok(["images", "-q", "inuse"])).toBe(`${id.slice(7, 19)}\n`);
    await e.ok(["rm", "uses-it"]);
    const removed = (await ok(["rmi", "inuse:1"])).split("\n").filter(Boolean);
    expect(removed[0]).toBe("Untagged: inuse:1");
    expect(removed[1]).toBe(`Deleted: ${id}`);
    // The layer of its own goes with it (busybox's stays: busybox uses it).
    expect(removed).toHaveLength(3);
    expect(removed[2]).toMatch(/^Deleted: sha256:[0-9a-f]{64}$/);
    expect(await e.ok(["images", "-q", "inuse"])).toBe("");
  });

  test("image prune: the dangling image goes, a label filter that matches nothing keeps it", async () => {
    await loadBusybox(e, "dangler:1", [{ path: "etc/dangler", content: "1\n" }], { Labels: { keep: "no" } });
    const id = (await e.ok(["image", "inspect", "-f", "{{.Id}}", "dangler:1"])).trim();
    // Moving the name away leaves the old image untagged, with no image built on it: dangling.
    await e.ok(["tag", "busybox", "dangler:1"]);
    expect(await ok(["images", "-q", "--no-trunc", "--filter", "dangling=true"])).toBe(`${id}\n`);
    expect(await ok(["image", "prune", "-f", "--filter", "label=keep=yes"])).toBe("Total reclaimed space: 0B\n");
    const pruned = (await ok(["image", "prune", "-f", "--filter", "label=keep=no"])).split("\n");
    expect(pruned.slice(0, 2)).toEqual(["Deleted Images:", `deleted: ${id}`]);
    expect(pruned.at(-2)).toMatch(/^Total reclaimed space: [1-9][\d.]*[kM]?B$/);
    expect(await ok(["images", "-q", "--filter", "dangling=true"])).toBe("");
    await ok(["rmi", "dangler:1"]);
  });

  test("push and pull with the test registry: Docker's lines, the digest the registry has", async () => {
    const ref = `${reg.host}/cli/bb:1`;
    await ok(["tag", "busybox", ref]);
    const pushed = await ok(["push", ref]);
    expect(pushed).toMatch(new RegExp(`^The push refers to repository \\[${reg.host}/cli/bb\\]\n`));
    const digest = /^1: digest: (sha256:[0-9a-f]{64}) size: \d+$/m.exec(pushed)?.[1];
    expect(digest, pushed).toBeDefined();
    await ok(["rmi", ref]);
    const pulled = await ok(["pull", ref]);
    expect(pulled).toContain("1: Pulling from cli/bb\n");
    expect(pulled).toContain(`Digest: ${digest}\n`);
    expect(pulled).toContain(`Status: Downloaded newer image for ${ref}\n`);
    expect(pulled.trimEnd().split("\n").at(-1)).toBe(ref);
    expect(await ok(["pull", ref])).toContain(`Status: Image is up to date for ${ref}\n`);
    expect(await e.ok(["images", "--digests", "--format", "{{.Digest}}", `${reg.host}/cli/bb`])).toBe(`${digest}\n`);
    // Docker's words for an image the registry does not have, as an error response (nothing was streamed yet).
    const missing = await docker(["pull", `${reg.host}/cli/bb:nope`]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(new RegExp(`^Error response from daemon: manifest for ${reg.host}/cli/bb:nope not found`));
    // A push of a name with no local image says so in-band, after the repository line.
    const none = await docker(["push", `${reg.host}/cli/none:1`]);
    expect(none.code).toBe(1);
    expect(none.stdout).toContain(`The push refers to repository [${reg.host}/cli/none]`);
    expect(none.stderr).toContain(`An image does not exist locally with the tag: ${reg.host}/cli/none`);
  });

  test("save | load round trip, load -i, and import with changes", async () => {
    const archive = join(e.base, "saved.tar");
    await ok(["save", "-o", archive, "busybox", "labelled:1"]);
    const listing = await runClient("tar", ["-xOf", archive, "manifest.json"]);
    expect((JSON.parse(listing.stdout) as { RepoTags: string[] }[]).map((m) => m.RepoTags[0]).sort()).toEqual(["busybox:latest", "labelled:1"]);
    const labelledId = (await e.ok(["image", "inspect", "-f", "{{.Id}}", "labelled:1"])).trim();
    await ok(["rmi", "labelled:1"]);
    expect(await ok(["load", "-i", archive])).toBe("Loaded image: busybox:latest\nLoaded image: labelled:1\n");
    expect((await e.ok(["image", "inspect", "-f", "{{.Id}}", "labelled:1"])).trim()).toBe(labelledId);
    const piped = await runClient("sh", ["-c", `"${dockerCli}" save labelled:1 | "${dockerCli}" load`], { env: { DOCKER_HOST: `unix://${sock}`, DOCKER_CONFIG: join(e.base, "docker-config") } });
    expect([piped.code, piped.stdout], piped.stderr).toEqual([0, "Loaded image: labelled:1\n"]);

    const rootfs = join(e.base, "rootfs.tar");
    writeFileSync(rootfs, await layerTar(busyboxEntries()));
    const id = (await ok(["import", "-c", "ENV GREETING=hi", "-c", 'CMD ["sh"]', "-m", "from a test", rootfs, "imported:1"])).trim();
    expect(id).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(await e.ok(["image", "inspect", "-f", "{{.Id}} {{.Config.Env}} {{.Config.Cmd}} {{.Comment}}", "imported:1"])).toBe(`${id} [GREETING=hi] [sh] from a test\n`);
    const fromStdin = (await ok(["import", "-", "imported:2"], { input: readFileSync(rootfs) })).trim();
    expect(await e.ok(["run", "--rm", "--network", "none", "imported:2", "echo", "imported runs"])).toBe("imported runs\n");
    expect(fromStdin).toMatch(/^sha256:/);
  });

  test("DOCKER_BUILDKIT=0 docker build: Docker's classic output, the image tagged, --iidfile from the aux ID, -q", async () => {
    const dir = join(e.base, "ctx");
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, "Dockerfile"), 'FROM busybox\nARG WHO=nobody\nCOPY note.txt /note.txt\nRUN echo "hello $WHO" > /greeting && cat /note.txt\nLABEL built.by=docker-cli\n');
    writeFileSync(join(dir, "note.txt"), "a note from the context\n");
    const env = { DOCKER_BUILDKIT: "0" };
    const iid = join(e.base, "iid");
    const r = await docker(["build", "-t", "built:1", "-t", "built:also", "--build-arg", "WHO=world", "--iidfile", iid, "."], { cwd: dir, env });
    expect(r.code, r.stderr + r.stdout).toBe(0);
    expect(r.stderr).toMatch(/DEPRECATED: The legacy builder is deprecated/);
    const lines = r.stdout.split("\n");
    expect(lines).toContain("Step 1/5 : FROM busybox");
    expect(lines).toContain('Step 4/5 : RUN echo "hello $WHO" > /greeting && cat /note.txt');
    expect(lines).toContain("a note from the context");
    const built = lines.find((l) => l.startsWith("Successfully built "));
    expect(built).toMatch(/^Successfully built [0-9a-f]{12}$/);
    expect(lines.slice(-3)).toEqual(["Successfully tagged built:1", "Successfully tagged built:also", ""]);
    const id = (await e.ok(["image", "inspect", "-f", "{{.Id}}", "built:1"])).trim();
    expect(built).toBe(`Successfully built ${id.slice(7, 19)}`);
    expect(readFileSync(iid, "utf8")).toBe(id);
    expect(await e.ok(["image", "inspect", "-f", "{{index .Config.Labels \"built.by\"}}", "built:also"])).toBe("docker-cli\n");
    expect(await e.ok(["run", "--rm", "--network", "none", "built:1", "cat", "/greeting"])).toBe("hello world\n");

    // The same build again, quiet: every step from the cache, only the id printed.
    const quiet = await docker(["build", "-q", "--build-arg", "WHO=world", "--label", "unused=no", "."], { cwd: dir, env });
    expect(quiet.code, quiet.stderr).toBe(0);
    expect(quiet.stdout).toMatch(/^sha256:[0-9a-f]{64}\n$/);
    const again = await docker(["build", "-q", "--build-arg", "WHO=world", "."], { cwd: dir, env });
    expect([again.code, again.stdout]).toEqual([0, `${id}\n`]);

    writeFileSync(join(dir, "Dockerfile.fails"), "FROM busybox\nRUN echo before the failure && exit 3\n");
    const failed = await docker(["build", "-f", "Dockerfile.fails", "."], { cwd: dir, env });
    expect(failed.code).toBe(1);
    expect(failed.stdout).toContain("before the failure\n");
    expect(failed.stderr).toContain("The command '/bin/sh -c echo before the failure && exit 3' returned a non-zero code: 3");

    // Refused before its context is read, a build is answered once the upload is in: the docker CLI
    // sends it whole and reports the refusal alone, not a pipe closed under it.
    writeFileSync(join(dir, "filler.bin"), randomBytes(16 << 20));
    const foreign = await docker(["build", "--platform", "linux/s390x", "."], { cwd: dir, env });
    expect(foreign.code).toBe(1);
    expect(foreign.stderr).toContain("Error response from daemon: cannot build for linux/s390x: skiff builds for this host's platform");
    expect(foreign.stderr).not.toMatch(/tar writer|closed pipe|broken pipe/);
  });

  test("system df: the same table as skiff system df, from the daemon's answer", async () => {
    // A failed build keeps its step's container, as Docker's does: start from none.
    for (const id of (await e.ok(["ps", "-aq"])).split("\n").filter(Boolean)) await e.ok(["rm", "-f", id]);
    await e.ok(["create", "--name", "df-user", "-v", "df-vol:/data", "labelled:1", "true"]);
    try {
      const dockerDf = await ok(["system", "df"]);
      expect(dockerDf).toBe(await e.ok(["system", "df"]));
      expect(dockerDf.split("\n")[0]).toMatch(/^TYPE +TOTAL +ACTIVE +SIZE +RECLAIMABLE$/);
      const format = "{{.Type}}|{{.TotalCount}}|{{.Active}}";
      const rows = (await ok(["system", "df", "--format", format])).split("\n");
      expect(rows).toContain("Containers|1|0");
      expect(rows).toContain("Local Volumes|1|1");
      expect(rows).toContain("Build Cache|0|0");
      expect(rows.find((l) => l.startsWith("Images|"))).toMatch(/^Images\|\d+\|1$/);
    } finally {
      await e.ok(["rm", "-v", "df-user"]);
      await e.ok(["volume", "rm", "df-vol"]);
    }
  });
});

describe.skipIf(isRoot || !dockerCli)("docker login, then push and pull with the credentials", () => {
  const password = "pa55-for-images";
  let e: SkiffEnv;
  let svc: ServiceProcess;
  let reg: TestRegistry;

  beforeAll(async () => {
    e = new SkiffEnv();
    reg = await startRegistry({ auth: "htpasswd", users: { carol: password } });
    await loadBusybox(e);
    const sock = join(e.base, "api.sock");
    svc = await startService(e, ["--time", "0", `unix://${sock}`]);
  });
  afterAll(async () => {
    await svc?.stop();
    e?.cleanup();
    await reg?.stop();
  });

  test("the client's login travels as X-Registry-Auth; without it the registry refuses", async () => {
    const sock = join(e.base, "api.sock");
    const docker = dockerAt(sock, join(e.base, "logged-in"));
    const stranger = dockerAt(sock, join(e.base, "stranger"));
    const ref = `${reg.host}/private/app:1`;
    await docker(["tag", "busybox", ref]);
    const refused = await stranger(["push", ref]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/unauthorized|authentication required|no basic auth credentials/i);
    const login = await docker(["login", "-u", "carol", "--password-stdin", reg.host], { input: `${password}\n` });
    expect(login.code, login.stderr).toBe(0);
    const pushed = await docker(["push", ref]);
    expect(pushed.code, pushed.stderr).toBe(0);
    expect(pushed.stdout).toMatch(/^1: digest: sha256:[0-9a-f]{64} size: \d+$/m);
    await docker(["rmi", ref]);
    const pulledByStranger = await stranger(["pull", ref]);
    expect(pulledByStranger.code).toBe(1);
    const pulled = await docker(["pull", ref]);
    expect(pulled.code, pulled.stderr).toBe(0);
    expect(pulled.stdout).toContain(`Status: Downloaded newer image for ${ref}`);
    // skiff itself holds no login: the credentials came with the requests.
    expect((await e.run(["pull", ref])).code).toBe(1);
  });
});
