import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import Docker from "dockerode";
import tar from "tar-stream";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { isRoot, SkiffEnv } from "../../helpers/cli.js";
import { loadBusybox } from "../../helpers/busybox.js";
import { startRegistry, type TestRegistry } from "../../helpers/registry.js";
import { hasCompose, hasDockerPy, runClient, startService, type ServiceProcess } from "./service-process.js";

// The image, build and volume endpoints as the libraries above them use
// them: docker-py 5.0.3 and docker-compose 1.29 on it (both parse the
// build's "Successfully built"; docker-py the load's "Loaded image:") and
// dockerode (what testcontainers drives; it follows progress streams with
// modem.followProgress). The registry asks for a password: the libraries'
// auth configs must reach it, since skiff itself holds no login.

const PASSWORD = "clients-pa55";

describe.skipIf(isRoot)("docker-py and dockerode", () => {
  let e: SkiffEnv;
  let svc: ServiceProcess;
  let sock: string;
  let reg: TestRegistry;

  beforeAll(async () => {
    e = new SkiffEnv();
    reg = await startRegistry({ auth: "htpasswd", users: { dave: PASSWORD } });
    await loadBusybox(e);
    await loadBusybox(e, "labelled:1", [{ path: "etc/labelled", content: "yes\n" }], { Labels: { tier: "web" } });
    sock = join(e.base, "api.sock");
    svc = await startService(e, ["--time", "0", `unix://${sock}`]);
  });
  afterAll(async () => {
    await svc?.stop();
    e?.cleanup();
    await reg?.stop();
  });

  const python = async (lines: string[], args: string[] = []) => {
    const r = await runClient("/usr/bin/python3", ["-c", lines.join("\n"), `unix://${sock}`, ...args]);
    expect(r.code, r.stderr).toBe(0);
    return JSON.parse(r.stdout) as Record<string, unknown>;
  };

  test.skipIf(!hasDockerPy)("docker-py: images.build from a file object and from a path; images.list with filters, at 1.41 and negotiated", async () => {
    const dir = join(e.base, "py-ctx");
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, "Dockerfile"), "FROM busybox\nCOPY data.txt /data.txt\nRUN cat /data.txt > /copied\n");
    writeFileSync(join(dir, "data.txt"), "from a path\n");
    const out = await python(
      [
        "import docker, io, json, sys",
        "client = docker.DockerClient(base_url=sys.argv[1], version='auto')",
        "old = docker.DockerClient(base_url=sys.argv[1], version='1.41')",
        "img, logs = client.images.build(fileobj=io.BytesIO(b'FROM busybox\\nRUN echo from-fileobj > /made\\nLABEL via=fileobj\\n'), tag='pyfile:1')",
        "logs = list(logs)",
        "img2, logs2 = client.images.build(path=sys.argv[2], tag='pypath:1', rm=True)",
        "streamed = [l.get('stream', '') for l in logs]",
        "print(json.dumps({",
        "  'file': {'id': img.id, 'tags': img.tags, 'labels': img.labels, 'lastLines': streamed[-2:], 'aux': [l['aux'] for l in logs if 'aux' in l]},",
        "  'path': {'id': img2.id, 'tags': img2.tags},",
        "  'listed': sorted(t for i in client.images.list() for t in i.tags),",
        "  'web': [i.tags for i in client.images.list(filters={'label': 'tier=web'})],",
        "  'oldApi': old.api.api_version,",
        "  'oldListed': sorted(t for i in old.images.list(name='labelled') for t in i.tags),",
        "  'virtualSize': ['VirtualSize' in i.attrs for i in old.images.list(name='labelled') + client.images.list(name='labelled')],",
        "}))",
      ],
      [dir],
    );
    const file = out.file as { id: string; tags: string[]; labels: Record<string, string>; lastLines: string[]; aux: { ID: string }[] };
    expect(file.tags).toEqual(["pyfile:1"]);
    expect(file.labels).toEqual({ via: "fileobj" });
    expect(file.lastLines).toEqual([`Successfully built ${file.id.slice(7, 19)}\n`, "Successfully tagged pyfile:1\n"]);
    expect(file.aux).toEqual([{ ID: file.id }]);
    expect(file.id).toBe((await e.ok(["image", "inspect", "-f", "{{.Id}}", "pyfile:1"])).trim());
    expect((out.path as { tags: string[] }).tags).toEqual(["pypath:1"]);
    expect(await e.ok(["run", "--rm", "--network", "none", "pypath:1", "cat", "/copied"])).toBe("from a path\n");
    expect(out.listed).toEqual(["busybox:latest", "labelled:1", "pyfile:1", "pypath:1"]);
    expect(out.web).toEqual([["labelled:1"]]);
    expect(out.oldApi).toBe("1.41");
    expect(out.oldListed).toEqual(["labelled:1"]);
    // VirtualSize went away with API 1.44.
    expect(out.virtualSize).toEqual([true, false]);
  });

  test.skipIf(!hasDockerPy)("docker-py: push and pull with auth_config; without it the registry refuses; load and save", async () => {
    const repo = `${reg.host}/py/app`;
    await e.ok(["tag", "labelled:1", `${repo}:1`]);
    const out = await python(
      [
        "import docker, json, sys",
        "client = docker.DockerClient(base_url=sys.argv[1], version='auto')",
        "repo, password = sys.argv[2], sys.argv[3]",
        "auth = {'username': 'dave', 'password': password}",
        "denied = [l for l in client.images.push(repo, tag='1', stream=True, decode=True) if 'error' in l]",
        "pushed = list(client.images.push(repo, tag='1', auth_config=auth, stream=True, decode=True))",
        "client.images.remove(repo + ':1')",
        "try:",
        "    client.images.pull(repo, tag='1')",
        "    refused = None",
        "except docker.errors.APIError as e:",
        "    refused = [e.response.status_code, str(e.explanation)]",
        "img = client.images.pull(repo, tag='1', auth_config=auth)",
        "progress = [l for l in client.api.pull(repo, tag='1', auth_config=auth, stream=True, decode=True)]",
        "blob = b''.join(client.images.get('labelled:1').save(named='labelled:1'))",
        "client.images.remove('labelled:1')",
        "loaded = client.images.load(blob)",
        "print(json.dumps({'denied': denied, 'pushed': pushed, 'refused': refused, 'pulled': img.tags, 'progress': progress, 'loaded': [i.tags for i in loaded]}))",
      ],
      [repo, PASSWORD],
    );
    expect((out.denied as { error: string }[])[0]!.error).toMatch(/unauthorized|authentication required/i);
    const pushed = out.pushed as Record<string, unknown>[];
    expect(pushed[0]).toEqual({ status: `The push refers to repository [${repo}]` });
    const aux = pushed.find((l) => l.aux) as { aux: { Tag: string; Digest: string; Size: number } };
    expect(aux.aux).toMatchObject({ Tag: "1", Digest: expect.stringMatching(/^sha256:[0-9a-f]{64}$/) });
    expect(pushed).toContainEqual({ status: `1: digest: ${aux.aux.Digest} size: ${aux.aux.Size}` });
    // The engine's refusal is not the client's: a 500 with the registry's words, never a 401 (which would ask the user to log in to skiff).
    expect(out.refused).toEqual([500, expect.stringMatching(/unauthorized|authentication required/i)]);
    // The same image as labelled:1, so it has both names.
    expect(out.pulled).toEqual(expect.arrayContaining([`${repo}:1`, "labelled:1"]));
    const progress = out.progress as Record<string, unknown>[];
    expect(progress[0]).toEqual({ status: "Pulling from py/app", id: "1" });
    expect(progress.at(-1)).toEqual({ status: `Status: Image is up to date for ${repo}:1` });
    expect(progress).toContainEqual({ status: `Digest: ${aux.aux.Digest}` });
    // docker-py finds the loaded image by the name in "Loaded image: labelled:1" (it still has the registry's name too).
    expect(out.loaded).toEqual([expect.arrayContaining(["labelled:1"])]);
  });

  test.skipIf(!hasDockerPy)("docker-py: volumes.create with labels round-trips; list by label; remove", async () => {
    const out = await python([
      "import docker, json, sys",
      "client = docker.DockerClient(base_url=sys.argv[1], version='auto')",
      "v = client.volumes.create(name='pyvol', driver='local', labels={'com.example.project': 'demo', 'empty': ''})",
      "got = client.volumes.get('pyvol')",
      "listed = [x.name for x in client.volumes.list(filters={'label': 'com.example.project=demo'})]",
      "got.remove()",
      "print(json.dumps({'created': v.attrs['Labels'], 'got': got.attrs['Labels'], 'listed': listed, 'after': [x.name for x in client.volumes.list()]}))",
    ]);
    expect(out).toEqual({ created: { "com.example.project": "demo", empty: "" }, got: { "com.example.project": "demo", empty: "" }, listed: ["pyvol"], after: [] });
  });

  test.skipIf(!hasCompose)("docker-compose 1.29: build finds the image id in the classic builder's output and tags it", async () => {
    const dir = join(e.base, "compose-project");
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, "docker-compose.yml"), 'version: "2.4"\nservices:\n  app:\n    build: .\n    image: composed/app:1\n');
    writeFileSync(join(dir, "Dockerfile"), "FROM busybox\nRUN echo composed > /composed\n");
    const r = await runClient("docker-compose", ["--no-ansi", "-p", "cproj", "build"], { cwd: dir, env: { DOCKER_HOST: `unix://${sock}`, HOME: e.base } });
    expect(r.code, r.stderr + r.stdout).toBe(0);
    const id = (await e.ok(["image", "inspect", "-f", "{{.Id}}", "composed/app:1"])).trim();
    expect(r.stdout + r.stderr).toContain(`Successfully built ${id.slice(7, 19)}`);
    expect(await e.ok(["run", "--rm", "--network", "none", "composed/app:1", "cat", "/composed"])).toBe("composed\n");
  });

  test("dockerode: buildImage from a tar stream, followed to the end; getImage().inspect()", async () => {
    const docker = new Docker({ socketPath: sock });
    const pack = tar.pack();
    pack.entry({ name: "Dockerfile" }, "FROM busybox\nCOPY greeting /greeting\nRUN cat /greeting\n");
    pack.entry({ name: "greeting" }, "hello from dockerode\n");
    pack.finalize();
    const stream = await docker.buildImage(pack, { t: "nodebuilt:1", labels: { from: "dockerode" } } as Docker.ImageBuildOptions);
    const events = await new Promise<Record<string, unknown>[]>((resolve, reject) => docker.modem.followProgress(stream, (err: Error | null, res: Record<string, unknown>[]) => (err ? reject(err) : resolve(res))));
    const text = events.map((ev) => ev.stream ?? "").join("");
    expect(text).toContain("Step 1/4 : FROM busybox\n");
    expect(text).toContain("hello from dockerode\n");
    expect(text).toMatch(/Successfully built [0-9a-f]{12}\nSuccessfully tagged nodebuilt:1\n$/);
    const info = await docker.getImage("nodebuilt:1").inspect();
    expect(events).toContainEqual({ aux: { ID: info.Id } });
    expect(info.RepoTags).toEqual(["nodebuilt:1"]);
    expect(info.Config.Labels).toEqual({ from: "dockerode" });
    const missing = await docker.getImage("not-there:1").inspect().catch((err: { statusCode: number; json: { message: string } }) => err);
    expect(missing).toMatchObject({ statusCode: 404, json: { message: "No such image: not-there:1" } });

    // A failing build: the error is the last message, in-band, as followProgress hands it back.
    const bad = tar.pack();
    bad.entry({ name: "Dockerfile" }, "FROM busybox\nRUN exit 7\n");
    bad.finalize();
    const failing = await docker.buildImage(bad, { t: "nodebad:1" });
    const failed = await new Promise<Record<string, unknown>[]>((resolve, reject) => docker.modem.followProgress(failing, (err: Error | null, res: Record<string, unknown>[]) => (err ? reject(err) : resolve(res))));
    const message = "The command '/bin/sh -c exit 7' returned a non-zero code: 7";
    expect(failed.at(-1)).toEqual({ errorDetail: { message }, error: message });
  });

  test("dockerode: pull with an auth config, progress followed; listImages with array filters", async () => {
    const docker = new Docker({ socketPath: sock });
    const repo = `${reg.host}/node/app`;
    await e.ok(["tag", "labelled:1", `${repo}:2`]);
    const pushStream = await docker.getImage(`${repo}:2`).push({ authconfig: { username: "dave", password: PASSWORD, serveraddress: reg.host } } as never);
    await new Promise<void>((resolve, reject) => docker.modem.followProgress(pushStream, (err: Error | null) => (err ? reject(err) : resolve())));
    await docker.getImage(`${repo}:2`).remove();
    const seen: Record<string, unknown>[] = [];
    const stream = await docker.pull(`${repo}:2`, { authconfig: { username: "dave", password: PASSWORD, serveraddress: reg.host } });
    await new Promise<void>((resolve, reject) =>
      docker.modem.followProgress(
        stream,
        (err: Error | null) => (err ? reject(err) : resolve()),
        (ev: Record<string, unknown>) => seen.push(ev),
      ),
    );
    expect(seen[0]).toEqual({ status: "Pulling from node/app", id: "2" });
    expect(seen.at(-1)).toEqual({ status: `Status: Downloaded newer image for ${repo}:2` });
    const images = await docker.listImages({ filters: { reference: [`${repo}`] } } as Docker.ListImagesOptions);
    expect(images.map((i) => i.RepoTags)).toEqual([[`${repo}:2`, "labelled:1"].filter((t) => t.startsWith(repo))]);
    const byLabel = await docker.listImages({ filters: JSON.stringify({ label: ["tier=web"] }) } as unknown as Docker.ListImagesOptions);
    expect(byLabel).toHaveLength(1);
    expect(byLabel[0]!.Labels).toEqual({ tier: "web" });
  });
});
