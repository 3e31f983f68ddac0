import { chmodSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, symlinkSync, utimesSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, test } from "vitest";
import { BuildCache, cacheKey, contentDigest } from "../../../src/builder/cache.js";
import { ignoreMatcher, parseDockerignore } from "../../../src/builder/context.js";
import { sourceFiles } from "../../../src/builder/copy-step.js";

// The layer cache's key and index, and the digest of the files a COPY takes.

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "skiff-cache-"));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const ID_A = `sha256:${"a".repeat(64)}`;
const ID_B = `sha256:${"b".repeat(64)}`;

describe("cache key", () => {
  test("depends on the parent, the instruction and the content", () => {
    const base = { parent: ID_A, instruction: "/bin/sh -c #(nop)  ENV A=1" };
    expect(cacheKey(base)).toMatch(/^[0-9a-f]{64}$/);
    expect(cacheKey(base)).toBe(cacheKey({ ...base }));
    expect(cacheKey({ ...base, parent: ID_B })).not.toBe(cacheKey(base));
    expect(cacheKey({ ...base, instruction: "/bin/sh -c #(nop)  ENV A=2" })).not.toBe(cacheKey(base));
    expect(cacheKey({ ...base, content: "sha256:1" })).not.toBe(cacheKey(base));
    // No field can run into the next one.
    expect(cacheKey({ parent: "a", instruction: "bc" })).not.toBe(cacheKey({ parent: "ab", instruction: "c" }));
  });

  test("the index maps a probe to an image id, written atomically under build-cache/", () => {
    const cache = new BuildCache(dir);
    const probe = { parent: ID_A, instruction: "RUN x" };
    expect(cache.get(probe)).toBeUndefined();
    cache.put(probe, ID_B);
    expect(cache.get(probe)).toBe(ID_B);
    expect(readdirSync(join(dir, "build-cache"))).toEqual([cacheKey(probe)]);
    cache.put(probe, ID_A);
    expect(cache.get(probe)).toBe(ID_A);
    // A damaged entry is a miss, not an error.
    writeFileSync(join(dir, "build-cache", cacheKey(probe)), "garbage");
    expect(cache.get(probe)).toBeUndefined();
  });
});

describe("content digest", () => {
  function tree(): string {
    const root = join(dir, "ctx");
    mkdirSync(join(root, "sub"), { recursive: true });
    writeFileSync(join(root, "a.txt"), "A\n");
    writeFileSync(join(root, "sub", "b.txt"), "B\n");
    symlinkSync("a.txt", join(root, "link"));
    return root;
  }
  const digest = (root: string, excluded?: (rel: string) => boolean) => contentDigest(sourceFiles({ hostPath: root, rel: "", isDir: true }, excluded));

  test("changes with content, names, modes and link targets; not with times", () => {
    const root = tree();
    const d0 = digest(root);
    expect(d0).toMatch(/^sha256:[0-9a-f]{64}$/);
    utimesSync(join(root, "a.txt"), 1000, 1000);
    expect(digest(root)).toBe(d0);
    writeFileSync(join(root, "a.txt"), "a\n");
    const d1 = digest(root);
    expect(d1).not.toBe(d0);
    chmodSync(join(root, "a.txt"), 0o600);
    const d2 = digest(root);
    expect(d2).not.toBe(d1);
    rmSync(join(root, "link"));
    symlinkSync("sub/b.txt", join(root, "link"));
    expect(digest(root)).not.toBe(d2);
  });

  test("files .dockerignore leaves out do not count", () => {
    const root = tree();
    const without = digest(root, (rel) => rel.endsWith(".log"));
    writeFileSync(join(root, "debug.log"), "noise");
    expect(digest(root, (rel) => rel.endsWith(".log"))).toBe(without);
    expect(digest(root)).not.toBe(without);
    const ex = ignoreMatcher(parseDockerignore("sub\n!sub/keep\n"));
    writeFileSync(join(root, "sub", "keep"), "");
    expect([...sourceFiles({ hostPath: root, rel: "", isDir: true }, ex)].map((f) => f.name)).toEqual(["a.txt", "debug.log", "link", "sub/keep"]);
    expect(readFileSync(join(root, "sub", "b.txt"), "utf8")).toBe("B\n");
  });
});
