import { describe, expect, test } from "vitest";
import { parseConfig } from "../../../src/config/config.js";
import type { Paths } from "../../../src/config/paths.js";

// skiff.conf's registry settings: sections named after hosts (which have
// dots), mirrors in order, insecure registries, the short-name registry and
// the request timeout.

const paths: Paths = { storageRoot: "/s", configFile: "/c/skiff.conf", runRoot: "/r", runRootIsFallback: false };
const parse = (text: string) => parseConfig(text, paths, "/c/skiff.conf");

describe("registry settings", () => {
  test("a [registry] section per host, dotted names and ports kept whole", () => {
    const c = parse(
      [
        "[registries]",
        "default = registry.example.org:5000",
        "insecure = 10.0.0.5:5000, build.local",
        '[registry "docker.io"]',
        "mirrors = mirror.gcr.io, 127.0.0.1:5001",
        '[registry "10.0.0.5:5000"]',
        "mirrors = m.example.com",
        '[registry "ghcr.io"]',
        "insecure = true",
      ].join("\n"),
    );
    expect(c.defaultRegistry).toBe("registry.example.org:5000");
    expect(c.registries.get("docker.io")).toEqual({ mirrors: ["mirror.gcr.io", "127.0.0.1:5001"], insecure: false });
    // Listed insecure in [registries] and given mirrors in its own section: both hold.
    expect(c.registries.get("10.0.0.5:5000")).toEqual({ mirrors: ["m.example.com"], insecure: true });
    expect(c.registries.get("build.local")).toEqual({ mirrors: [], insecure: true });
    expect(c.registries.get("ghcr.io")).toEqual({ mirrors: [], insecure: true });
    expect([...c.registries.keys()].sort()).toEqual(["10.0.0.5:5000", "build.local", "docker.io", "ghcr.io"]);
  });

  test("other sections are unaffected by the escaping of dots", () => {
    const c = parse("[storage]\ndriver = vfs\nroot = /data/skiff.store\n[network]\ndefault = none\n");
    expect(c.storageDriver).toBe("vfs");
    expect(c.paths.storageRoot).toBe("/data/skiff.store");
    expect(c.defaultNetwork).toBe("none");
    expect(c.registries.size).toBe(0);
    expect(c.defaultRegistry).toBe("docker.io");
  });

  test("timeout in seconds; absent leaves the client's default; nonsense is refused", () => {
    expect(parse("[registries]\ntimeout = 2.5\n").registryTimeoutMs).toBe(2500);
    expect(parse("").registryTimeoutMs).toBeUndefined();
    expect(() => parse("[registries]\ntimeout = 0\n")).toThrow(/invalid registry timeout "0"/);
    expect(() => parse("[registries]\ntimeout = soon\n")).toThrow(/invalid registry timeout "soon"/);
  });
});

describe("event log settings", () => {
  test("[events] max_size in bytes; absent leaves the log's default; too small or nonsense is refused", () => {
    expect(parse("[events]\nmax_size = 65536\n").eventsMaxSize).toBe(65536);
    expect(parse("").eventsMaxSize).toBeUndefined();
    expect(() => parse("[events]\nmax_size = 100\n")).toThrow(/invalid events max_size "100"/);
    expect(() => parse("[events]\nmax_size = big\n")).toThrow(/invalid events max_size "big"/);
  });
});
