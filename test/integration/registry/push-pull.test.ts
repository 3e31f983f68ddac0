import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { RegistryClient } from "../../../src/registry/client.js";
import { RegistryError } from "../../../src/registry/errors.js";
import { search } from "../../../src/registry/search.js";
import { startRegistry, type TestRegistry } from "../../helpers/registry.js";
import { blob, collect, makeImage, OCI_MANIFEST, streamOf, type TestImage } from "./fixtures.js";
import { randomBytes } from "node:crypto";
import { Readable } from "node:stream";

// Push and pull against a real registry (distribution 2.8, no auth).

let reg: TestRegistry;
let client: RegistryClient;
let image: TestImage;

beforeAll(async () => {
  reg = await startRegistry();
  client = new RegistryClient(reg.host);
  image = await makeImage({ extraBytes: 300_000 });
});

afterAll(async () => {
  client?.close();
  await reg?.stop();
});

async function pushImage(repo: string, tag: string, img: TestImage, chunkSize?: number): Promise<string> {
  for (const b of [img.layer, img.config]) await client.uploadBlob(repo, b.digest, b.size, streamOf(b.data), { chunkSize });
  return client.putManifest(repo, tag, img.manifest, OCI_MANIFEST);
}

describe("plain registry", () => {
  test("ping picks plain http for a loopback host", async () => {
    expect(await client.ping()).toEqual({ url: `http://${reg.host}/v2/`, auth: undefined });
  });

  test("monolithic push, then pull of manifest and blobs gives identical bytes", async () => {
    const digest = await pushImage("test/mono", "v1", image);
    expect(digest).toBe(image.manifestDigest);
    const m = await client.getManifest("test/mono", "v1");
    expect(m.raw.equals(image.manifest)).toBe(true);
    expect(m.mediaType).toBe(OCI_MANIFEST);
    expect(m.digest).toBe(image.manifestDigest);
    const byDigest = await client.getManifest("test/mono", image.manifestDigest);
    expect(byDigest.raw.equals(image.manifest)).toBe(true);
    expect((await collect(client.openBlob("test/mono", image.layer.digest, { size: image.layer.size }))).equals(image.layer.data)).toBe(true);
    expect((await collect(client.openBlob("test/mono", image.config.digest))).equals(image.config.data)).toBe(true);
  });

  test("chunked push with PATCH and Content-Range", async () => {
    const big = blob(randomBytes(1_000_003));
    await client.uploadBlob("test/chunked", big.digest, big.size, streamOf(big.data, 77_777), { chunkSize: 256 * 1024 });
    expect(await client.statBlob("test/chunked", big.digest)).toEqual({ size: big.size });
    expect((await collect(client.openBlob("test/chunked", big.digest))).equals(big.data)).toBe(true);
  });

  test("an empty blob uploads both ways", async () => {
    const empty = blob(Buffer.alloc(0));
    await client.uploadBlob("test/empty", empty.digest, 0, streamOf(empty.data));
    await client.uploadBlob("test/empty2", empty.digest, 0, streamOf(empty.data), { chunkSize: 1024 });
    expect(await client.hasBlob("test/empty2", empty.digest)).toBe(true);
  });

  test("HEAD existence of blobs and manifests", async () => {
    await pushImage("test/head", "latest", image);
    expect(await client.hasBlob("test/head", image.layer.digest)).toBe(true);
    expect(await client.hasBlob("test/head", `sha256:${"0".repeat(64)}`)).toBe(false);
    const info = await client.headManifest("test/head", "latest");
    expect(info).toEqual({ digest: image.manifestDigest, mediaType: OCI_MANIFEST, size: image.manifest.length });
    expect(await client.headManifest("test/head", "nope")).toBeUndefined();
  });

  test("cross-repository mount answers 201, and 202 falls back", async () => {
    await pushImage("test/source", "v1", image);
    expect(await client.hasBlob("test/target", image.layer.digest)).toBe(false);
    expect(await client.mountBlob("test/target", image.layer.digest, "test/source")).toBe(true);
    expect(await client.hasBlob("test/target", image.layer.digest)).toBe(true);
    expect(await client.mountBlob("test/target2", `sha256:${"1".repeat(64)}`, "test/source")).toBe(false);
  });

  test("resumed read from an offset", async () => {
    await pushImage("test/offset", "v1", image);
    const part = await client.getBlob("test/offset", image.layer.digest, { offset: 1000 });
    expect(part.offset).toBe(1000);
    expect(part.size).toBe(image.layer.size);
    expect((await collect(part.stream)).equals(image.layer.data.subarray(1000))).toBe(true);
  });

  test("missing manifest: Docker's message", async () => {
    await pushImage("test/missing", "v1", image);
    const err = await client.getManifest("test/missing", "nope").catch((e) => e);
    expect(err).toBeInstanceOf(RegistryError);
    expect(err.message).toBe(`manifest for ${reg.host}/test/missing:nope not found: manifest unknown: manifest unknown`);
    expect(err.status).toBe(404);
    const err2 = await client.getManifest("test/never-pushed", "latest").catch((e) => e);
    expect(err2.message).toMatch(/^(repository|manifest for) .*test\/never-pushed.* not found: /);
  });

  // distribution 2.8 ignores n/last on tags/list (pagination came in v3):
  // tag pagination is covered against a paginating endpoint in faults.test.ts.
  test("tags list", async () => {
    await pushImage("test/tags", "a", image);
    for (const t of ["b", "c", "d", "e"]) await client.putManifest("test/tags", t, image.manifest, OCI_MANIFEST);
    expect((await client.listTags("test/tags", { pageSize: 2 })).sort()).toEqual(["a", "b", "c", "d", "e"]);
  });

  test("catalog, paginated with Link headers", async () => {
    const page = await client.catalog({ n: 3 });
    expect(page.items.length).toBe(3);
    expect(page.next).toBeDefined();
    expect(page.nextLast).toBe(page.items[2]);
    const after = await client.catalog({ n: 3, last: page.nextLast });
    expect(after.items[0] > page.items[2]).toBe(true);
    const everything = await client.catalogAll({ pageSize: 2 });
    expect(everything).toContain("test/tags");
    expect(everything).toEqual([...everything].sort());
    expect(new Set(everything).size).toBe(everything.length);
    expect(everything).toEqual(await client.catalogAll());
  });

  test("search filters the catalog by the term", async () => {
    const rows = await search(client, "TAGS", { limit: 5 });
    expect(rows).toEqual([{ name: `${reg.host}/test/tags`, description: "", stars: 0, official: false, automated: false }]);
    expect((await search(client, "test/", { limit: 2 })).length).toBe(2);
    await expect(search(client, "x", { limit: 0 })).rejects.toThrow("limit 0 is outside the range [1, 100]");
  });

  test("names outside the distribution grammar never reach the wire", async () => {
    await expect(client.getManifest("../etc", "latest")).rejects.toThrow(/invalid repository name/);
    await expect(client.getManifest("Upper/case", "latest")).rejects.toThrow(/invalid repository name/);
    await expect(client.getManifest("ok/name", "bad tag")).rejects.toThrow(/invalid tag or digest/);
    await expect(client.hasBlob("ok/name", "sha256:../../x")).rejects.toThrow(/malformed digest/);
  });

  test("a bad source is refused before the registry commits it", async () => {
    const good = blob(randomBytes(200_000));
    for (const chunkSize of [undefined, 64 * 1024]) {
      const short = await client.uploadBlob("test/bad", good.digest, good.size + 10, streamOf(good.data), { chunkSize }).catch((e) => e);
      expect(short.message).toMatch(/the source gave 200000 bytes, expected 200010$/);
      const wrong = Buffer.from(good.data);
      wrong[1234] ^= 1;
      const corrupt = await client.uploadBlob("test/bad", good.digest, good.size, streamOf(wrong), { chunkSize }).catch((e) => e);
      expect(corrupt.message).toMatch(/^blob to push: digest mismatch: expected sha256:/);
      const failing = await client
        .uploadBlob("test/bad", good.digest, good.size, () =>
          Readable.from(
            (async function* () {
              yield good.data.subarray(0, 1000);
              throw new Error("disk on fire");
            })(),
            { objectMode: false },
          ),
          { chunkSize },
        )
        .catch((e) => e);
      expect(failing.message).toBe("disk on fire");
    }
    expect(await client.hasBlob("test/bad", good.digest)).toBe(false);
  });

  test("delete a manifest", async () => {
    const digest = await pushImage("test/delete", "v1", image);
    await client.deleteManifest("test/delete", digest);
    expect(await client.headManifest("test/delete", digest)).toBeUndefined();
  });
});
