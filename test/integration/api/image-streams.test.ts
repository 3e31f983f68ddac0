import http from "node:http";
import { join } from "node:path";
import tar from "tar-stream";
import { afterAll, afterEach, beforeAll, describe, expect, test } from "vitest";
import { isRoot, skiffBin, SkiffEnv } from "../../helpers/cli.js";
import { loadBusybox } from "../../helpers/busybox.js";
import { startFaultyProxy, startRegistry, type FaultyProxy, type TestRegistry } from "../../helpers/registry.js";
import { RegistryClient } from "../../../src/registry/client.js";
import { makeImage, OCI_MANIFEST, streamOf, type TestImage } from "../registry/fixtures.js";
import { storeState } from "../registry/store-state.js";
import { request, startService, type ServiceProcess } from "./service-process.js";

// What clients hide, on the wire: both shapes of `filters`, the status of a
// pull that fails before it has said anything and the in-band error of one
// that fails after, the event stream's early headers, and clients that hang
// up in the middle of a pull, a build or an upload — after which the store
// must check clean and the next request must work.

type Message = Record<string, unknown>;

interface OpenStream {
  status: number;
  headers: http.IncomingHttpHeaders;
  /** The next JSON line, or undefined at the end of the stream. */
  next(): Promise<Message | undefined>;
  /** Lines until one matches, returning all read so far. */
  until(pred: (m: Message) => boolean): Promise<Message[]>;
  /** Hang up, as a client that went away. */
  hangUp(): void;
  /** The rest of the stream. */
  rest(): Promise<Message[]>;
}

/** A request whose answer is read line by line, as a JSON message stream. */
function openStream(sock: string, method: string, path: string, body?: Buffer | ((req: http.ClientRequest) => void), headers: Record<string, string> = {}): Promise<OpenStream> {
  return new Promise((resolve, reject) => {
    const req = http.request({ socketPath: sock, method, path, headers, agent: false }, (res) => {
      let pending = "";
      const lines: string[] = [];
      let ended = false;
      let wake: (() => void) | undefined;
      res.setEncoding("utf8");
      res.on("data", (d: string) => {
        pending += d;
        let nl: number;
        while ((nl = pending.indexOf("\n")) >= 0) {
          const line = pending.slice(0, nl).trim();
          pending = pending.slice(nl + 1);
          if (line) lines.push(line);
        }
        wake?.();
      });
      const end = () => {
        ended = true;
        wake?.();
      };
      res.on("end", end);
      res.on("close", end);
      res.on("error", end);
      const next = async (): Promise<Message | undefined> => {
        while (!lines.length && !ended) await new Promise<void>((r) => (wake = r));
        const line = lines.shift();
        return line === undefined ? undefined : (JSON.parse(line) as Message);
      };
      resolve({
        status: res.statusCode!,
        headers: res.headers,
        next,
        until: async (pred) => {
          const seen: Message[] = [];
          for (let m = await next(); m; m = await next()) {
            seen.push(m);
            if (pred(m)) return seen;
          }
          throw new Error(`the stream ended first:\n${seen.map((s) => JSON.stringify(s)).join("\n")}`);
        },
        hangUp: () => req.destroy(),
        rest: async () => {
          const all: Message[] = [];
          for (let m = await next(); m; m = await next()) all.push(m);
          return all;
        },
      });
    });
    req.on("error", reject);
    if (typeof body === "function") body(req);
    else req.end(body);
  });
}

async function contextTar(files: Record<string, string>): Promise<Buffer> {
  const pack = tar.pack();
  for (const [name, content] of Object.entries(files)) pack.entry({ name }, content);
  pack.finalize();
  const chunks: Buffer[] = [];
  for await (const c of pack) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

describe.skipIf(isRoot)("the wire", () => {
  let e: SkiffEnv;
  let svc: ServiceProcess;
  let sock: string;
  let reg: TestRegistry;
  let proxy: FaultyProxy;
  let image: TestImage;
  const REPO = "streams/app";

  beforeAll(async () => {
    e = new SkiffEnv();
    reg = await startRegistry();
    image = await makeImage({ extraBytes: 400_000, label: "streams" });
    const direct = new RegistryClient(reg.host);
    for (const b of [image.layer, image.config]) await direct.uploadBlob(REPO, b.digest, b.size, streamOf(b.data));
    await direct.putManifest(REPO, "1", image.manifest, OCI_MANIFEST);
    direct.close();
    proxy = await startFaultyProxy(reg);
    await loadBusybox(e);
    await loadBusybox(e, "labelled:1", [{ path: "etc/labelled", content: "yes\n" }], { Labels: { tier: "web" } });
    sock = join(e.base, "api.sock");
    // Debug lines say when work a client abandoned has stopped; a registry
    // this patient means only the cancel, never a timeout, can end a stalled pull.
    svc = await startService(e, [], {
      command: [process.execPath, skiffBin, "--log-level", "debug", "system", "service", "--time", "0", `unix://${sock}`],
      env: { SKIFF_REGISTRY_TIMEOUT_MS: "600000" },
    });
  });
  afterEach(() => {
    proxy.faults.length = 0;
  });
  afterAll(async () => {
    await svc?.stop();
    e?.cleanup();
    await proxy?.stop();
    await reg?.stop();
  });

  const json = async (method: string, path: string) => {
    const r = await request(sock, method, path);
    return { status: r.status, body: JSON.parse(r.body) as unknown };
  };
  const q = (filters: unknown) => encodeURIComponent(JSON.stringify(filters));

  /** The store as `skiff system check` sees it: clean, nothing left under tmp/. */
  const expectClean = async () => {
    const check = await e.run(["system", "check"]);
    expect(check.code, check.stdout + check.stderr).toBe(0);
    expect(check.stdout).toContain("No problems found\n");
    expect((await storeState(e)).tmp).toEqual([]);
  };

  test("filters in both JSON shapes; a malformed one is a 400", async () => {
    for (const filters of [{ label: { "tier=web": true } }, { label: ["tier=web"] }]) {
      const r = await json("GET", `/v1.44/images/json?filters=${q(filters)}`);
      expect(r.status).toBe(200);
      expect((r.body as { RepoTags: string[] }[]).map((i) => i.RepoTags)).toEqual([["labelled:1"]]);
    }
    await e.ok(["volume", "create", "--label", "shape=test", "shaped"]);
    for (const filters of [{ label: { "shape=test": true } }, { label: ["shape=test"] }, { name: { shaped: true } }]) {
      const r = await json("GET", `/volumes?filters=${q(filters)}`);
      expect(r.body).toMatchObject({ Volumes: [{ Name: "shaped", Labels: { shape: "test" } }], Warnings: [] });
    }
    expect(await json("GET", `/images/json?filters=${q({ dangling: ["maybe"] })}`)).toEqual({ status: 400, body: { message: "invalid filter 'dangling=maybe'" } });
    expect((await json("GET", "/images/json?filters=%7Bnot-json")).status).toBe(400);
    expect(await json("GET", `/volumes?filters=${q({ colour: ["red"] })}`)).toEqual({ status: 400, body: { message: "invalid filter 'colour'" } });
    // Old clients' image list: untagged images as <none>:<none>, VirtualSize kept.
    const old = (await json("GET", "/v1.41/images/json")).body as Record<string, unknown>[];
    expect(old.every((i) => typeof i.VirtualSize === "number")).toBe(true);
    await e.ok(["volume", "rm", "shaped"]);
  });

  test("a pull that fails before any progress is a plain 404; one that fails after is a 200 with the error in-band", async () => {
    const missing = await request(sock, "POST", `/v1.44/images/create?fromImage=${reg.host}/streams/none&tag=1`);
    expect(missing.status).toBe(404);
    expect(missing.headers["content-type"]).toBe("application/json");
    expect(JSON.parse(missing.body).message).toMatch(new RegExp(`^manifest for ${reg.host}/streams/none:1 not found`));

    proxy.faults.push({ method: "GET", path: new RegExp(`/blobs/${image.layer.digest}$`), kind: "corrupt", afterBytes: 1000 });
    const s = await openStream(sock, "POST", `/v1.44/images/create?fromImage=${proxy.host}/${REPO}&tag=1`);
    expect([s.status, s.headers["content-type"], s.headers["transfer-encoding"]]).toEqual([200, "application/json", "chunked"]);
    const all = await s.rest();
    expect(all[0]).toEqual({ status: `Pulling from ${REPO}`, id: "1" });
    expect(all).toContainEqual({ status: "Pulling fs layer", progressDetail: {}, id: image.layer.digest.slice(7, 19) });
    const last = all.at(-1) as { error: string; errorDetail: { message: string } };
    expect(last.error).toMatch(/digest mismatch|not valid gzip data/);
    expect(last.errorDetail).toEqual({ message: last.error });
    expect((await request(sock, "GET", `/images/${proxy.host}/${REPO}:1/json`)).status).toBe(404);
    await expectClean();
  });

  test("a client that hangs up mid-pull: the download stops, the store checks clean, the next pull completes", async () => {
    let stalled!: () => void;
    let abandoned!: () => void;
    const isStalled = new Promise<void>((r) => (stalled = r));
    const isAbandoned = new Promise<void>((r) => (abandoned = r));
    proxy.faults.push({
      method: "GET",
      path: new RegExp(`/blobs/${image.layer.digest}$`),
      times: 1,
      kind: "respond",
      // The registry's answer begins, then nothing more comes: the pull is in the middle of the layer.
      respond: (req, res) => {
        res.on("close", () => abandoned());
        http.get(`${reg.url}${req.url}`, (up) => {
          res.writeHead(200, { "Content-Type": "application/octet-stream", "Content-Length": String(image.layer.size) });
          up.once("data", (chunk: Buffer) => {
            res.write(chunk.subarray(0, 1000));
            up.destroy();
            stalled();
          });
        });
      },
    });
    const path = `/v1.44/images/create?fromImage=${proxy.host}/${REPO}&tag=1`;
    const s = await openStream(sock, "POST", path);
    expect(await s.next()).toEqual({ status: `Pulling from ${REPO}`, id: "1" });
    await isStalled;
    s.hangUp();
    // The engine drops its download at once (the registry here would wait ten minutes), and says when it is done.
    await isAbandoned;
    await svc.waitFor(new RegExp(`POST ${path.replace(/[?.]/g, "\\$&")}: the client left; its work has stopped`));
    expect((await request(sock, "GET", `/images/${proxy.host}/${REPO}:1/json`)).status).toBe(404);
    await expectClean();

    const again = await openStream(sock, "POST", path);
    const done = await again.rest();
    expect(done.at(-1)).toEqual({ status: `Status: Downloaded newer image for ${proxy.host}/${REPO}:1` });
    expect((await request(sock, "GET", `/images/${proxy.host}/${REPO}:1/json`)).status).toBe(200);
    await expectClean();
  });

  test("a client that hangs up mid-build: the RUN is killed, its container removed, the store checks clean", async () => {
    const context = await contextTar({ Dockerfile: "FROM busybox\nRUN echo started && sleep 600\n" });
    const path = "/v1.44/build?t=never%3A1";
    const s = await openStream(sock, "POST", path, context, { "Content-Type": "application/x-tar" });
    expect(s.status).toBe(200);
    const seen = await s.until((m) => m.stream === "started\n");
    expect(seen[0]).toEqual({ stream: "Step 1/2 : FROM busybox\n" });
    expect(await e.ok(["ps", "-q"])).not.toBe("");
    s.hangUp();
    await svc.waitFor(new RegExp(`POST ${path.replace(/[?.]/g, "\\$&")}: the client left; its work has stopped`));
    expect(await e.ok(["ps", "-aq"])).toBe("");
    expect((await request(sock, "GET", "/images/never:1/json")).status).toBe(404);
    await expectClean();
  });

  test("a client that hangs up mid-upload of a build context: nothing is left of it", async () => {
    const context = await contextTar({ Dockerfile: "FROM busybox\nCOPY big /big\n", big: "x".repeat(3 << 20) });
    const path = "/v1.44/build?t=half%3A1";
    let sent!: () => void;
    const halfSent = new Promise<void>((r) => (sent = r));
    const req = http.request({ socketPath: sock, method: "POST", path, headers: { "Content-Type": "application/x-tar", "Content-Length": String(context.length) }, agent: false });
    req.on("error", () => {});
    req.write(context.subarray(0, context.length >> 1), () => sent());
    await halfSent;
    req.destroy();
    await svc.waitFor(new RegExp(`POST ${path.replace(/[?.]/g, "\\$&")}: the client left; its work has stopped`));
    expect((await request(sock, "GET", "/images/half:1/json")).status).toBe(404);
    await expectClean();
  });

  test("build: a bad parameter or a missing Dockerfile is an error answer, not a started stream", async () => {
    const context = await contextTar({ Dockerfile: "FROM busybox\n" });
    const badArgs = await request(sock, "POST", `/v1.44/build?buildargs=${encodeURIComponent("{nope")}`, context.toString("latin1"), { "Content-Type": "application/x-tar" });
    expect(badArgs.status).toBe(400);
    expect(JSON.parse(badArgs.body).message).toMatch(/^error reading build args: /);
    const noFile = await openStream(sock, "POST", "/v1.44/build?dockerfile=Nope", context);
    expect(noFile.status).toBe(400);
    expect((await noFile.next())?.message).toMatch(/Nope: no such file or directory/);
    const buildkit = await openStream(sock, "POST", "/v1.44/build?version=2", context);
    expect(buildkit.status).toBe(400);
    await expectClean();
  });

  test("load: progress when not quiet, the Loaded lines; a body that is no archive fails in-band, as moby's load does", async () => {
    const saved = await new Promise<Buffer>((resolve, reject) => {
      http.get({ socketPath: sock, path: "/images/get?names=labelled%3A1" }, (res) => {
        expect(res.headers["content-type"]).toBe("application/x-tar");
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("end", () => resolve(Buffer.concat(chunks)));
        res.on("error", reject);
      });
    });
    await e.ok(["rmi", "labelled:1"]);
    const s = await openStream(sock, "POST", "/v1.44/images/load?quiet=0", saved, { "Content-Type": "application/x-tar" });
    const all = await s.rest();
    expect(all.at(-1)).toEqual({ stream: "Loaded image: labelled:1\n" });
    expect(all.some((m) => m.status === "Loading layer" && typeof (m.progressDetail as { current?: number })?.current === "number")).toBe(true);
    const junk = await openStream(sock, "POST", "/v1.44/images/load", Buffer.from("this is not a tar archive at all"));
    expect(junk.status).toBe(200);
    expect(await junk.rest()).toEqual([{ errorDetail: { message: expect.any(String) }, error: expect.any(String) }]);
    const missing = await request(sock, "GET", "/images/nothing:9/get");
    expect([missing.status, JSON.parse(missing.body)]).toEqual([404, { message: "No such image: nothing:9" }]);
    await expectClean();
  });

  test("events: the headers before any event, one line per event, and a stream that ends at a future until", async () => {
    const s = await openStream(sock, "GET", `/v1.44/events?filters=${q({ type: ["volume"] })}`);
    // The answer has begun although nothing has happened yet.
    expect([s.status, s.headers["content-type"]]).toEqual([200, "application/json"]);
    await e.ok(["volume", "create", "ev-wire"]);
    expect(await s.next()).toMatchObject({ Type: "volume", Action: "create", Actor: { ID: "ev-wire", Attributes: { driver: "local" } }, scope: "local" });
    s.hangUp();
    const now = Date.now() / 1000;
    const bounded = await openStream(sock, "GET", `/events?since=${(now - 60).toFixed(3)}&until=${(now + 1).toFixed(3)}&filters=${q({ volume: ["ev-wire"] })}`);
    // Ends by itself once `until` has passed.
    expect((await bounded.rest()).map((m) => m.Action)).toEqual(["create"]);
    const backwards = await json("GET", `/events?since=${Math.floor(now)}&until=${Math.floor(now) - 10}`);
    expect(backwards.status).toBe(400);
    await e.ok(["volume", "rm", "ev-wire"]);
  });

  test("system df: Docker's shape, computed by the engine; type narrows it", async () => {
    await e.ok(["volume", "create", "df-wire"]);
    const all = (await json("GET", "/v1.44/system/df")).body as Record<string, unknown>;
    expect(all.LayersSize).toBeGreaterThan(0);
    expect(all.BuildCache).toEqual([]);
    const images = all.Images as Record<string, unknown>[];
    expect(images.length).toBeGreaterThan(0);
    for (const i of images) expect(i).toMatchObject({ Id: expect.stringMatching(/^sha256:/), Containers: 0, SharedSize: expect.any(Number), Size: expect.any(Number) });
    expect(all.Volumes).toEqual([expect.objectContaining({ Name: "df-wire", UsageData: { Size: 0, RefCount: 0 } })]);
    expect(all.Containers).toEqual([]);
    const volumesOnly = (await json("GET", "/v1.44/system/df?type=volume")).body as Record<string, unknown>;
    expect([volumesOnly.Images, volumesOnly.Containers, (volumesOnly.Volumes as unknown[]).length]).toEqual([null, null, 1]);
    expect((await json("GET", "/v1.44/system/df?type=sandwich")).status).toBe(400);
    await e.ok(["volume", "rm", "df-wire"]);
  });
});
