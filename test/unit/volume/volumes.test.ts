import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, test } from "vitest";
import { mountFromApi, parseVolumeFlag } from "../../../src/container/create-body.js";
import { parseMountFlag as parseMountSpec } from "../../../src/container/create-flags.js";
import type { ContainerRecord, MountSpec } from "../../../src/container/record.js";
import { NotFoundError } from "../../../src/errors.js";
import { StoreLayout } from "../../../src/store/layout.js";
import { parseVolumesFrom, resolveMounts } from "../../../src/volume/mounts.js";
import { checkVolumeName, volumeNameOf } from "../../../src/volume/names.js";
import { labelMatches } from "../../../src/volume/service.js";
import { VolumeStore, rfc3339Local } from "../../../src/volume/store.js";

// The pure parts of volumes: specs, names, --volumes-from resolution,
// label filters, timestamps, and the on-disk store.

function record(id: string, mounts: MountSpec[], volumesFrom: string[] = []): ContainerRecord {
  return { Id: id, Mounts: mounts, HostConfig: { VolumesFrom: volumesFrom } } as unknown as ContainerRecord;
}
/** --mount as the record keeps it: the CLI's parse, then create's check. */
const parseMountFlag = (spec: string) => mountFromApi(parseMountSpec(spec));
const vol = (name: string, dest: string, extra: Partial<MountSpec> = {}): MountSpec => ({ Type: "volume", Source: "", Name: name, Destination: dest, ReadOnly: false, Options: [], ...extra });

describe("-v and --mount specs", () => {
  test("-v forms", () => {
    expect(parseVolumeFlag("/data")).toMatchObject({ Type: "volume", Destination: "/data", Anonymous: true });
    expect(parseVolumeFlag("cache:/var/cache/:ro")).toMatchObject({ Type: "volume", Name: "cache", Destination: "/var/cache", ReadOnly: true, Options: ["ro"] });
    expect(parseVolumeFlag("/host:/ctr:rw,z")).toMatchObject({ Type: "bind", Source: "/host", Destination: "/ctr", ReadOnly: false });
    expect(parseVolumeFlag("name:/p:nocopy").Options).toEqual(["nocopy"]);
    expect(() => parseVolumeFlag("rel")).toThrow("invalid volume specification: 'rel': invalid mount config for type \"volume\": invalid mount path: 'rel' mount path must be absolute");
    expect(() => parseVolumeFlag(":/x")).toThrow("invalid volume specification: ':/x'");
    expect(() => parseVolumeFlag("v:/x:rx")).toThrow("invalid mode: rx");
    expect(() => parseVolumeFlag("v:/")).toThrow("invalid specification: destination can't be '/'");
    expect(parseVolumeFlag("/a//b/../c/").Destination).toBe("/a/c");
  });

  test("--mount forms", () => {
    expect(parseMountFlag("type=volume,source=v,target=/t,readonly")).toMatchObject({ Type: "volume", Name: "v", Destination: "/t", ReadOnly: true, Anonymous: false });
    expect(parseMountFlag("target=/t")).toMatchObject({ Type: "volume", Anonymous: true });
    expect(parseMountFlag("type=volume,dst=/t,volume-nocopy=true").Options).toEqual(["nocopy"]);
    expect(parseMountFlag("type=tmpfs,destination=/t,tmpfs-size=1m,tmpfs-mode=1777")).toMatchObject({ Type: "tmpfs", Options: ["size=1048576", "mode=1777"] });
    expect(parseMountFlag(`type=bind,src=${tmpdir()},dst=/t,ro=1`)).toMatchObject({ Type: "bind", Source: tmpdir(), ReadOnly: true });
    expect(() => parseMountFlag("type=volume,target=/t,readonly,bogus")).toThrow(`invalid argument "type=volume,target=/t,readonly,bogus" for "--mount" flag: invalid field 'bogus' must be a key=value pair`);
    expect(parseMountFlag("source=v,target=/t,volume-label=a=b,volume-opt=o=size=1m,volume-label=c").Options).toEqual(["volume-opt=o=size=1m", "volume-label=a=b", "volume-label=c="]);
    expect(() => parseMountFlag(`type=bind,src=/,target=/t,volume-label=a`)).toThrow("cannot mix 'volume-*' options with mount type 'bind'");
    expect(() => parseMountFlag("type=tmpfs,target=rel")).toThrow(`invalid mount config for type "tmpfs": invalid mount path: 'rel' mount path must be absolute`);
    expect(() => parseMountFlag("type=bind,target=/t")).toThrow(`invalid mount config for type "bind": field Source must not be empty`);
  });

  test("volume names: Docker's character set", () => {
    for (const ok of ["a", "data", "my_vol-1.2", "0abc"]) expect(() => checkVolumeName(ok)).not.toThrow();
    for (const bad of ["", "-a", ".x", "..", "a/b", "a b", "é"]) expect(() => checkVolumeName(bad), bad).toThrow(/includes invalid characters for a local volume name/);
  });

  test("an anonymous mount without a name gets one that is stable for its container and path", () => {
    const r = record("c1", []);
    const m = vol("", "/data");
    expect(volumeNameOf(r, m)).toMatch(/^[0-9a-f]{64}$/);
    expect(volumeNameOf(r, m)).toBe(volumeNameOf(r, { ...m }));
    expect(volumeNameOf(r, m)).not.toBe(volumeNameOf(record("c2", []), m));
    expect(volumeNameOf(r, vol("named", "/data"))).toBe("named");
  });
});

describe("--volumes-from", () => {
  const a = record("a".repeat(64), [vol("anon-a", "/shared", { Anonymous: true }), vol("named", "/named", { ReadOnly: true }), { Type: "tmpfs", Source: "", Destination: "/tmp", ReadOnly: false, Options: [] }]);
  const b = record("b".repeat(64), [vol("own-b", "/named")], ["a:ro"]);
  const c = record("c".repeat(64), [], ["b"]);
  const all = [a, b, c];
  const names: Record<string, ContainerRecord> = { a, b, c };
  const lookup = (input: string) => {
    const r = names[input] ?? all.find((x) => x.Id.startsWith(input));
    if (!r) throw new NotFoundError(`No such container: ${input}`);
    return r;
  };

  test("modes", () => {
    expect(parseVolumesFrom("web")).toEqual({ container: "web" });
    expect(parseVolumesFrom("web:ro")).toEqual({ container: "web", mode: "ro" });
    expect(() => parseVolumesFrom("web:rx")).toThrow("invalid mode: rx");
  });

  test("the source's mounts, its own destinations winning, :ro applied, tmpfs left out, carried on", () => {
    const mb = resolveMounts(b, lookup);
    expect(mb.map((m) => [m.Destination, m.VolumeName, m.ReadOnly, m.From])).toEqual([
      ["/named", "own-b", false, undefined],
      ["/shared", "anon-a", true, a.Id],
    ]);
    expect(mb[1]!.Anonymous).toBe(false);
    // c takes b's mounts, including what b took from a (keeping b's :ro).
    expect(resolveMounts(c, lookup).map((m) => [m.Destination, m.VolumeName, m.ReadOnly, m.From])).toEqual([
      ["/named", "own-b", false, b.Id],
      ["/shared", "anon-a", true, a.Id],
    ]);
  });

  test("the source's volume replaces the image's VOLUME at the same path, not a -v one", () => {
    const withImageVolume = { ...record("d".repeat(64), [vol("anon-d", "/shared", { Anonymous: true })], ["a"]), Config: { Volumes: { "/shared/": {} } } } as unknown as ContainerRecord;
    expect(resolveMounts(withImageVolume, lookup).map((m) => [m.Destination, m.VolumeName])).toEqual([["/shared", "anon-a"], ["/named", "named"]]);
    const withFlag = { ...withImageVolume, Config: { Volumes: null } } as unknown as ContainerRecord;
    expect(resolveMounts(withFlag, lookup).map((m) => [m.Destination, m.VolumeName])).toEqual([["/shared", "anon-d"], ["/named", "named"]]);
    // Without --volumes-from sources (removed), a missing one is passed over outside creation.
    expect(resolveMounts(record("e", [], ["gone"]), lookup, false)).toEqual([]);
  });

  test("a cycle ends, a missing source is Docker's error", () => {
    const x = record("x".repeat(64), [vol("vx", "/x")], ["y"]);
    const y = record("y".repeat(64), [vol("vy", "/y")], ["x"]);
    const l = (n: string) => ({ x, y })[n as "x" | "y"]!;
    expect(resolveMounts(x, l).map((m) => m.VolumeName)).toEqual(["vx", "vy"]);
    expect(() => resolveMounts(record("z", [], ["nope"]), lookup)).toThrow("No such container: nope");
  });
});

test("label filters: key, key=value", () => {
  expect(labelMatches({ a: "1", b: "" }, "a")).toBe(true);
  expect(labelMatches({ a: "1" }, "a=1")).toBe(true);
  expect(labelMatches({ a: "1" }, "a=2")).toBe(false);
  expect(labelMatches({ b: "" }, "b=")).toBe(true);
  expect(labelMatches(null, "a")).toBe(false);
});

test("CreatedAt is Go's RFC 3339 in local time", () => {
  const s = rfc3339Local(new Date("2024-05-06T07:08:09.123Z"));
  expect(s).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(Z|[+-]\d\d:\d\d)$/);
  expect(Date.parse(s)).toBe(Date.parse("2024-05-06T07:08:09Z"));
});

describe("volume store", () => {
  let root: string | undefined;
  afterEach(() => {
    if (root) rmSync(root, { recursive: true, force: true });
  });

  test("create once, read back, list, move out", () => {
    root = mkdtempSync(join(tmpdir(), "skiff-volstore-"));
    const store = new VolumeStore(new StoreLayout(root).ensure());
    const rec = { Name: "v1", CreatedAt: rfc3339Local(), Driver: "local" as const, Labels: { a: "b" }, Options: null };
    expect(store.create(rec)).toEqual({ record: rec, created: true });
    expect(store.create({ ...rec, Labels: null })).toEqual({ record: rec, created: false });
    expect(JSON.parse(readFileSync(join(root, "volumes", "v1", "volume.json"), "utf8"))).toEqual(rec);
    expect(existsSync(store.dataDir("v1"))).toBe(true);
    expect(store.list()).toEqual([rec]);
    expect(() => store.read("v2")).toThrow("get v2: no such volume");
    const trash = store.moveOut("v1");
    expect(trash.startsWith(join(root, "tmp"))).toBe(true);
    expect(store.has("v1")).toBe(false);
    expect(store.names()).toEqual([]);
    // Nothing half-made is left in tmp/ by creating.
    expect(readdirSync(join(root, "tmp"))).toEqual([trash.split("/").pop()]);
  });
});
