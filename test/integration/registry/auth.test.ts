import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { RegistryClient } from "../../../src/registry/client.js";
import { RegistryError } from "../../../src/registry/errors.js";
import { startRegistry, type TestRegistry } from "../../helpers/registry.js";
import { collect, makeImage, OCI_MANIFEST, streamOf, type TestImage } from "./fixtures.js";

// Authentication against the real registry: htpasswd Basic auth, and the
// token flow with a token server the registry trusts (anonymous pull,
// credentials needed to push).

const users = { alice: "wonderland", bob: "builder" };
let image: TestImage;

async function pushImage(client: RegistryClient, repo: string, tag: string, img: TestImage): Promise<string> {
  for (const b of [img.layer, img.config]) await client.uploadBlob(repo, b.digest, b.size, streamOf(b.data));
  return client.putManifest(repo, tag, img.manifest, OCI_MANIFEST);
}

beforeAll(async () => {
  image = await makeImage({ extraBytes: 50_000 });
});

describe("htpasswd Basic auth", () => {
  let reg: TestRegistry;
  beforeAll(async () => {
    reg = await startRegistry({ auth: "htpasswd", users });
  });
  afterAll(async () => reg?.stop());

  test("ping reports Basic; the right password pushes and pulls", async () => {
    const c = new RegistryClient(reg.host, { credentials: { username: "alice", password: "wonderland" } });
    expect((await c.ping()).auth).toBe("basic");
    await c.checkLogin();
    expect(await pushImage(c, "alice/app", "v1", image)).toBe(image.manifestDigest);
    expect((await c.getManifest("alice/app", "v1")).raw.equals(image.manifest)).toBe(true);
    expect((await collect(c.openBlob("alice/app", image.layer.digest))).equals(image.layer.data)).toBe(true);
    c.close();
  });

  test("a wrong password is unauthorized", async () => {
    const c = new RegistryClient(reg.host, { credentials: { username: "alice", password: "nope" } });
    const err = await c.checkLogin().catch((e) => e);
    expect(err).toBeInstanceOf(RegistryError);
    expect(err.message).toBe(`Get "http://${reg.host}/v2/": unauthorized: authentication required`);
    expect(err.hint).toContain(`skiff login ${reg.host}`);
    const pull = await c.getManifest("alice/app", "v1").catch((e) => e);
    expect(pull.message).toBe("pull access denied for " + reg.host + "/alice/app, repository does not exist or may require 'docker login': unauthorized: authentication required");
    c.close();
  });

  test("no credentials: pull access denied, push unauthorized", async () => {
    const c = new RegistryClient(reg.host);
    const pull = await c.getManifest("alice/app", "v1").catch((e) => e);
    expect(pull.message).toMatch(/^pull access denied for .*alice\/app, repository does not exist or may require 'docker login'/);
    const push = await c.uploadBlob("alice/app", image.config.digest, image.config.size, streamOf(image.config.data)).catch((e) => e);
    expect(push.message).toBe("unauthorized: authentication required");
    c.close();
  });
});

describe("token auth (distribution token spec)", () => {
  let reg: TestRegistry;
  beforeAll(async () => {
    reg = await startRegistry({ auth: "token", users, refreshTokens: { "refresh-for-bob": "bob" } });
  });
  afterAll(async () => reg?.stop());

  test("a user pushes with a pull,push token; tokens are cached per scope", async () => {
    const c = new RegistryClient(reg.host, { credentials: { username: "alice", password: "wonderland" } });
    expect((await c.ping()).auth).toBe("bearer");
    await c.checkLogin();
    const before = reg.tokenServer!.requests.length;
    await pushImage(c, "shared/app", "v1", image);
    const issued = reg.tokenServer!.requests.slice(before);
    // One token covers the whole push (pull,push on the repository); the cache serves the rest.
    expect(issued.map((r) => r.scopes)).toEqual([["repository:shared/app:pull,push"]]);
    expect(issued[0].subject).toBe("alice");
    // Reading back is covered by the cached pull,push token: no new token.
    expect((await c.getManifest("shared/app", "v1")).digest).toBe(image.manifestDigest);
    expect(reg.tokenServer!.requests.length).toBe(before + 1);
    c.close();
  });

  test("anonymous pull is allowed, anonymous push is not", async () => {
    const anon = new RegistryClient(reg.host);
    const m = await anon.getManifest("shared/app", "v1");
    expect(m.raw.equals(image.manifest)).toBe(true);
    expect((await collect(anon.openBlob("shared/app", image.layer.digest))).equals(image.layer.data)).toBe(true);
    expect(reg.tokenServer!.requests.at(-1)!.subject).toBeUndefined();
    const push = await anon.uploadBlob("shared/other", image.config.digest, image.config.size, streamOf(image.config.data)).catch((e) => e);
    expect(push).toBeInstanceOf(RegistryError);
    expect(push.message).toBe("unauthorized: authentication required");
    anon.close();
  });

  test("a token the registry did not issue is refused", async () => {
    const c = new RegistryClient(reg.host, { credentials: { registryToken: "eyJhbGciOiJub25lIn0.e30.c2ln" } });
    const err = await c.getManifest("shared/app", "v1").catch((e) => e);
    expect(err.message).toMatch(/^pull access denied for .*shared\/app, repository does not exist or may require 'docker login'/);
    c.close();
  });

  test("parallel reads share one token request", async () => {
    const c = new RegistryClient(reg.host);
    await c.ping();
    const before = reg.tokenServer!.requests.length;
    await Promise.all([1, 2, 3].map(() => collect(c.openBlob("shared/app", image.layer.digest))));
    expect(reg.tokenServer!.requests.length).toBe(before + 1);
    c.close();
  });

  test("wrong password: the token service refuses", async () => {
    const c = new RegistryClient(reg.host, { credentials: { username: "alice", password: "bad" } });
    const err = await c.checkLogin().catch((e) => e);
    expect(err.message).toBe("unauthorized: incorrect username or password");
    c.close();
  });

  test("cross-repository mount asks for pull on the source too", async () => {
    const c = new RegistryClient(reg.host, { credentials: { username: "bob", password: "builder" } });
    expect(await c.mountBlob("bob/copy", image.layer.digest, "shared/app")).toBe(true);
    const last = reg.tokenServer!.requests.at(-1)!;
    expect(last.scopes.sort()).toEqual(["repository:bob/copy:pull,push", "repository:shared/app:pull"]);
    expect(await c.hasBlob("bob/copy", image.layer.digest)).toBe(true);
    c.close();
  });

  test("OAuth2 refresh token (identity token) grant", async () => {
    const c = new RegistryClient(reg.host, { credentials: { identityToken: "refresh-for-bob" } });
    await pushImage(c, "bob/oauth", "v1", image);
    expect(reg.tokenServer!.requests.at(-1)).toMatchObject({ method: "POST", subject: "bob" });
    c.close();
  });

  test("catalog needs a registry:catalog:* token", async () => {
    const c = new RegistryClient(reg.host, { credentials: { username: "alice", password: "wonderland" } });
    const all = await c.catalogAll();
    expect(all).toEqual(expect.arrayContaining(["shared/app", "bob/copy"]));
    expect(reg.tokenServer!.requests.at(-1)!.scopes).toEqual(["registry:catalog:*"]);
    c.close();
  });
});
