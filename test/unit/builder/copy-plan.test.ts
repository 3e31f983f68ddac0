import { describe, expect, test } from "vitest";
import {
  checkMultipleSources, cleanSource, destination, matchSource, parseChmod, splitChown, targetFor,
} from "../../../src/builder/copy-plan.js";
import { globRegex } from "../../../src/gotext/path-match.js";

// COPY/ADD: which context paths a source names and where each one lands.

describe("sources", () => {
  test("are relative to the context root and cannot leave it", () => {
    expect(cleanSource("a/b/")).toBe("a/b");
    expect(cleanSource("/a/./b")).toBe("a/b");
    expect(cleanSource("../../etc/passwd")).toBe("etc/passwd");
    expect(cleanSource(".")).toBe("");
    expect(cleanSource("./")).toBe("");
  });

  test("patterns follow Go's filepath.Match: * and ? stop at /, classes, escapes", () => {
    const entries = ["a.txt", "b.txt", "b.md", "dir", "dir/c.txt", "dir/sub", "dir/sub/d.txt", "x?y", "x1y"];
    expect(matchSource("*.txt", entries)).toEqual(["a.txt", "b.txt"]);
    expect(matchSource("dir/*", entries)).toEqual(["dir/c.txt", "dir/sub"]);
    expect(matchSource("*/*.txt", entries)).toEqual(["dir/c.txt"]);
    expect(matchSource("[ab].*", entries)).toEqual(["a.txt", "b.txt", "b.md"]);
    expect(matchSource("[^a].txt", entries)).toEqual(["b.txt"]);
    expect(matchSource("x\\?y", entries)).toEqual(["x?y"]);
    expect(matchSource("x?y", entries)).toEqual(["x?y", "x1y"]);
    expect(matchSource("nomatch*", entries)).toEqual([]);
    expect(globRegex("a.b").test("axb")).toBe(false);
  });

  test("a plain source names itself when the context has it", () => {
    expect(matchSource("./dir/", ["dir"])).toEqual(["dir"]);
    expect(matchSource("missing", ["dir"])).toEqual([]);
    expect(matchSource(".", [])).toEqual([""]);
  });
});

describe("destinations", () => {
  test("relative ones continue from WORKDIR; a trailing / or . means a directory", () => {
    expect(destination("rel/", "/app")).toEqual({ path: "/app/rel", isDir: true });
    expect(destination("rel", "/app")).toEqual({ path: "/app/rel", isDir: false });
    expect(destination(".", "/app")).toEqual({ path: "/app", isDir: true });
    expect(destination("x", undefined)).toEqual({ path: "/x", isDir: false });
    expect(destination("/a//b/../c/", "/app")).toEqual({ path: "/a/c", isDir: true });
    expect(destination("/", "/app")).toEqual({ path: "/", isDir: true });
  });

  test("a file lands at the destination, or inside it when it is a directory (written or existing)", () => {
    expect(targetFor("src/a.txt", false, destination("/dst", "/"), false)).toBe("/dst");
    expect(targetFor("src/a.txt", false, destination("/dst/", "/"), false)).toBe("/dst/a.txt");
    expect(targetFor("src/a.txt", false, destination("/dst", "/"), true)).toBe("/dst/a.txt");
  });

  test("a directory's contents go into the destination, never the directory itself", () => {
    expect(targetFor("tree", true, destination("/dst", "/"), false)).toBe("/dst");
    expect(targetFor("tree", true, destination("/dst/", "/"), true)).toBe("/dst");
  });

  test("several sources need a directory destination ending in /", () => {
    expect(() => checkMultipleSources(2, destination("/dst", "/"), "COPY")).toThrow(
      "When using COPY with more than one source file, the destination must be a directory and end with a /",
    );
    expect(() => checkMultipleSources(2, destination("/dst/", "/"), "ADD")).not.toThrow();
    expect(() => checkMultipleSources(1, destination("/dst", "/"), "COPY")).not.toThrow();
  });
});

describe("--chown and --chmod", () => {
  test("user[:group]", () => {
    expect(splitChown("1000")).toEqual({ user: "1000" });
    expect(splitChown("app:staff")).toEqual({ user: "app", group: "staff" });
    expect(splitChown("10:")).toEqual({ user: "10", group: "" });
  });

  test("octal modes only", () => {
    expect(parseChmod("0755")).toBe(0o755);
    expect(parseChmod("640")).toBe(0o640);
    expect(parseChmod(undefined)).toBeUndefined();
    expect(() => parseChmod("u+x")).toThrow(/only octal modes/);
    expect(() => parseChmod("0999")).toThrow();
  });
});
