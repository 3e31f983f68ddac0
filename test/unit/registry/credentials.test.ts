import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync, readdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, test } from "vitest";
import { credentialFiles, DOCKER_HUB_CONFIG_KEY, lookupCredentials, normalizeKey, removeCredentials, storeCredentials } from "../../../src/registry/credentials.js";

// Credential files: where they are, what login and logout do to them.

let base: string;
let env: NodeJS.ProcessEnv;

beforeEach(() => {
  base = mkdtempSync(join(tmpdir(), "skiff-creds-"));
  env = { HOME: join(base, "home"), XDG_RUNTIME_DIR: join(base, "run"), XDG_CONFIG_HOME: join(base, "home", ".config") };
  mkdirSync(env.HOME!, { recursive: true });
});

afterEach(() => rmSync(base, { recursive: true, force: true }));

const b64 = (s: string) => Buffer.from(s).toString("base64");

describe("credential files", () => {
  test("locations follow REGISTRY_AUTH_FILE, XDG_RUNTIME_DIR and DOCKER_CONFIG", () => {
    expect(credentialFiles(env)).toEqual({
      authFile: join(base, "run", "containers", "auth.json"),
      userAuthFile: join(base, "home", ".config", "containers", "auth.json"),
      dockerConfig: join(base, "home", ".docker", "config.json"),
    });
    expect(credentialFiles({ ...env, REGISTRY_AUTH_FILE: "/x/auth.json", DOCKER_CONFIG: "/d" })).toMatchObject({ authFile: "/x/auth.json", dockerConfig: "/d/config.json" });
    expect(credentialFiles({ HOME: "/h" }).authFile).toBe("/h/.config/containers/auth.json");
  });

  test("login writes auth.json 0600 in a 0700 directory, keeping other keys; lookup reads it back", () => {
    const path = credentialFiles(env).authFile;
    mkdirSync(join(base, "run", "containers"), { recursive: true });
    writeFileSync(path, JSON.stringify({ auths: { "quay.io": { auth: b64("q:w") } }, credHelpers: { "gcr.io": "gcloud" }, custom: 1 }));
    chmodSync(path, 0o644);
    expect(storeCredentials("127.0.0.1:5000", "alice", "p:ss word", { env })).toEqual([path]);
    expect(statSync(path).mode & 0o777).toBe(0o600);
    const file = JSON.parse(readFileSync(path, "utf8"));
    expect(file.custom).toBe(1);
    expect(file.credHelpers).toEqual({ "gcr.io": "gcloud" });
    expect(file.auths["quay.io"]).toEqual({ auth: b64("q:w") });
    expect(file.auths["127.0.0.1:5000"]).toEqual({ auth: b64("alice:p:ss word") });
    expect(lookupCredentials("127.0.0.1:5000", "some/repo", env)).toEqual({ username: "alice", password: "p:ss word" });
    expect(readdirSync(join(base, "run", "containers"))).toEqual(["auth.json"]); // no temporary file left
  });

  test("a new directory is created 0700", () => {
    storeCredentials("reg.example", "u", "p", { env });
    expect(statSync(join(base, "run", "containers")).mode & 0o777).toBe(0o700);
  });

  test("Docker Hub: docker.io in auth.json, the index URL in config.json", () => {
    const written = storeCredentials("docker.io", "me", "pw", { env, dockerConfig: true });
    const [auth, docker] = written.map((p) => JSON.parse(readFileSync(p, "utf8")));
    expect(Object.keys(auth.auths)).toEqual(["docker.io"]);
    expect(Object.keys(docker.auths)).toEqual([DOCKER_HUB_CONFIG_KEY]);
    expect(statSync(written[1]).mode & 0o777).toBe(0o600);
    expect(lookupCredentials("index.docker.io", undefined, env)).toEqual({ username: "me", password: "pw" });
  });

  test("lookup order: auth.json, then ~/.config/containers/auth.json, then Docker's config.json", () => {
    const f = credentialFiles(env);
    mkdirSync(join(base, "home", ".docker"), { recursive: true });
    writeFileSync(f.dockerConfig, JSON.stringify({ auths: { [DOCKER_HUB_CONFIG_KEY]: { auth: b64("dock:er") }, "https://reg.example:5000/v1/": { auth: b64("d:2") } } }));
    expect(lookupCredentials("docker.io", "library/busybox", env)).toEqual({ username: "dock", password: "er" });
    expect(lookupCredentials("reg.example:5000", undefined, env)).toEqual({ username: "d", password: "2" });
    mkdirSync(join(base, "home", ".config", "containers"), { recursive: true });
    writeFileSync(f.userAuthFile, JSON.stringify({ auths: { "docker.io": { auth: b64("user:file") } } }));
    expect(lookupCredentials("docker.io", undefined, env)).toEqual({ username: "user", password: "file" });
    storeCredentials("docker.io", "run", "time", { env });
    expect(lookupCredentials("docker.io", undefined, env)).toEqual({ username: "run", password: "time" });
    expect(lookupCredentials("elsewhere.example", undefined, env)).toBeUndefined();
  });

  test("namespaced keys in auth.json: most specific first", () => {
    const path = credentialFiles(env).authFile;
    mkdirSync(join(base, "run", "containers"), { recursive: true });
    writeFileSync(path, JSON.stringify({ auths: { "quay.io": { auth: b64("all:1") }, "quay.io/team": { auth: b64("team:2") }, "quay.io/team/app": { auth: b64("app:3") } } }));
    expect(lookupCredentials("quay.io", "team/app", env)?.username).toBe("app");
    expect(lookupCredentials("quay.io", "team/other", env)?.username).toBe("team");
    expect(lookupCredentials("quay.io", "solo/x", env)?.username).toBe("all");
  });

  test("identity tokens", () => {
    const path = credentialFiles(env).authFile;
    mkdirSync(join(base, "run", "containers"), { recursive: true });
    writeFileSync(path, JSON.stringify({ auths: { "reg.example": { auth: "", identitytoken: "refresh" } } }));
    expect(lookupCredentials("reg.example", undefined, env)).toEqual({ identityToken: "refresh" });
  });

  test("logout removes the host from every file, and says so when there is nothing", () => {
    storeCredentials("docker.io", "me", "pw", { env, dockerConfig: true });
    storeCredentials("quay.io", "q", "w", { env });
    const f = credentialFiles(env);
    expect(removeCredentials("docker.io", { env }).sort()).toEqual([f.authFile, f.dockerConfig].sort());
    expect(lookupCredentials("docker.io", undefined, env)).toBeUndefined();
    expect(lookupCredentials("quay.io", undefined, env)).toEqual({ username: "q", password: "w" });
    expect(() => removeCredentials("docker.io", { env })).toThrow("Not logged in to docker.io.");
    expect(statSync(f.authFile).mode & 0o777).toBe(0o600);
  });

  test("bad input and bad files never echo secrets", () => {
    expect(() => storeCredentials("r", "a:b", "p", { env })).toThrow(/must not contain ':'/);
    expect(() => storeCredentials("r", "a", "", { env })).toThrow(/password is empty/);
    const path = credentialFiles(env).authFile;
    mkdirSync(join(base, "run", "containers"), { recursive: true });
    writeFileSync(path, '{"auths": {"r": {"auth": "c2VjcmV0LXBhc3N3b3Jk"}} broken');
    let msg = "";
    try {
      lookupCredentials("r", undefined, env);
    } catch (e) {
      msg = (e as Error).message + ((e as { hint?: string }).hint ?? "");
    }
    expect(msg).toMatch(/is not valid JSON/);
    expect(msg).not.toContain("c2VjcmV0");
    // login refuses to overwrite a file it cannot parse
    expect(() => storeCredentials("r", "a", "b", { env })).toThrow(/is not valid JSON/);
  });

  test("key normalisation", () => {
    expect(normalizeKey("https://index.docker.io/v1/")).toBe("docker.io");
    expect(normalizeKey("registry-1.docker.io")).toBe("docker.io");
    expect(normalizeKey("http://Reg.Example:5000/v2/")).toBe("reg.example:5000");
    expect(normalizeKey("quay.io/ns/repo")).toBe("quay.io/ns/repo");
  });
});
