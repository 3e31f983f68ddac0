import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, test } from "vitest";
import { archiveKind, contextEntries, ignoreMatcher, openContext, parseDockerignore } from "../../../src/builder/context.js";

// The build context: .dockerignore's patterns and exceptions, which paths
// COPY can see, the Dockerfile found, and what stdin may hold.

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "skiff-ctx-"));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

function files(list: Record<string, string>): void {
  for (const [rel, data] of Object.entries(list)) {
    mkdirSync(join(dir, rel, ".."), { recursive: true });
    writeFileSync(join(dir, rel), data);
  }
}

describe(".dockerignore", () => {
  test("lines are cleaned: comments, blanks, leading /, trailing /, ./", () => {
    expect(parseDockerignore("# c\n\n /tmp/ \n!./keep\n./a/../b\n*.log\r\n")).toEqual(["tmp", "!keep", "b", "*.log"]);
  });

  test("patterns, ** and exceptions, later lines winning", () => {
    const ex = ignoreMatcher(parseDockerignore("*.log\nbuild/\n**/*.tmp\ndocs/*\n!docs/README.md\n"));
    expect(ex("a.log")).toBe(true);
    expect(ex("sub/a.log")).toBe(false); // * does not cross /
    expect(ex("build")).toBe(true);
    expect(ex("build/x/y")).toBe(true);
    expect(ex("deep/er/f.tmp")).toBe(true);
    expect(ex("docs/guide.md")).toBe(true);
    expect(ex("docs/README.md")).toBe(false);
    expect(ex("src/main.ts")).toBe(false);
    expect(ignoreMatcher([])("anything")).toBe(false);
  });

  test("context entries leave excluded paths out but keep a directory holding an exception", () => {
    files({ "a.txt": "", "x.log": "", "docs/a.md": "", "docs/keep.md": "", "secret/k": "", Dockerfile: "" });
    const ex = ignoreMatcher(parseDockerignore("*.log\nsecret\ndocs\n!docs/keep.md\n"));
    expect(contextEntries(dir, ex)).toEqual(["Dockerfile", "a.txt", "docs", "docs/keep.md"]);
    expect(contextEntries(dir, () => false)).toContain("secret/k");
  });
});

describe("openContext", () => {
  test("a directory with its Dockerfile (or -f) and .dockerignore", async () => {
    files({ Dockerfile: "FROM a\n", "other.df": "FROM b\n", ".dockerignore": "*.log\n" });
    const ctx = await openContext({ path: dir, tmpDir: join(dir, "..", "unused") });
    expect(ctx.dir).toBe(dir);
    expect(ctx.dockerfile).toBe("FROM a\n");
    expect(ctx.excluded("x.log")).toBe(true);
    ctx.close();
    const other = await openContext({ path: dir, file: join(dir, "other.df"), tmpDir: "" });
    expect(other.dockerfile).toBe("FROM b\n");
    await expect(openContext({ path: join(dir, "nope"), tmpDir: "" })).rejects.toThrow(/path ".*nope" not found/);
    rmSync(join(dir, "Dockerfile"));
    await expect(openContext({ path: dir, tmpDir: "" })).rejects.toThrow(/no such file or directory/);
  });

  test("archives are told apart from a Dockerfile by their magic bytes", () => {
    expect(archiveKind(Buffer.from([0x1f, 0x8b, 8, 0]))).toBe("gzip");
    expect(archiveKind(Buffer.from("BZh91AY"))).toBe("bzip2");
    expect(archiveKind(Buffer.from([0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00]))).toBe("xz");
    const tar = Buffer.alloc(512);
    tar.write("ustar", 257);
    expect(archiveKind(tar)).toBe("tar");
    expect(archiveKind(Buffer.from("FROM busybox\n"))).toBeUndefined();
  });
});
