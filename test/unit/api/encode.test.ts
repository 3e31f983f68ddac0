import { execFileSync } from "node:child_process";
import { lstatSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, utimesSync, writeFileSync, chmodSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { errorBody, errorStatus, NotModified } from "../../../src/api/errors.js";
import { decodePathStat, encodePathStat, goFileMode, goTimeJson, isGoDir } from "../../../src/api/path-stat.js";
import { humanSize, progressBar, progressMessage } from "../../../src/api/progress.js";
import { frame, FrameReader, STDERR, STDOUT, SYSTEM_ERROR } from "../../../src/api/stdcopy.js";
import { ConflictError, HostSetupError, InvalidArgumentError, NotFoundError, SkiffError } from "../../../src/errors.js";
import { RegistryError } from "../../../src/registry/errors.js";

// Answer encodings: stdcopy frames, the path-stat header, progress lines and
// error statuses, checked against what Docker's clients decode.

describe("stdcopy frames", () => {
  test("8-byte header: stream, three zeros, big-endian size", () => {
    const f = frame(STDERR, Buffer.from("oops\n"));
    expect([...f.subarray(0, 8)]).toEqual([2, 0, 0, 0, 0, 0, 0, 5]);
    expect(f.subarray(8).toString()).toBe("oops\n");
    expect(frame(STDOUT, Buffer.alloc(0)).length).toBe(0);
    expect(frame(STDOUT, Buffer.alloc(70_000))[0]).toBe(1);
    expect(frame(STDOUT, Buffer.alloc(70_000)).readUInt32BE(4)).toBe(70_000);
  });

  test("read back across any chunking", () => {
    const bytes = Buffer.concat([frame(STDOUT, Buffer.from("hello ")), frame(STDERR, Buffer.from("err")), frame(SYSTEM_ERROR, Buffer.from("boom")), frame(STDOUT, Buffer.from("world"))]);
    for (const size of [1, 3, 7, 8, 9, bytes.length]) {
      const reader = new FrameReader();
      const got: string[] = [];
      for (let i = 0; i < bytes.length; i += size) for (const f of reader.push(bytes.subarray(i, i + size))) got.push(`${f.stream}:${f.payload}`);
      expect(got, `chunks of ${size}`).toEqual(["1:hello ", "2:err", "3:boom", "1:world"]);
      expect(reader.buffered).toBe(0);
    }
  });
});

describe("X-Docker-Container-Path-Stat", () => {
  let dir: string;
  const sock = createServer();
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "skiff-pathstat-"));
    mkdirSync(join(dir, "d"));
    chmodSync(join(dir, "d"), 0o1755);
    writeFileSync(join(dir, "f"), "hello");
    chmodSync(join(dir, "f"), 0o4755);
    symlinkSync("f", join(dir, "l"));
    execFileSync("mkfifo", [join(dir, "p")]);
    await new Promise<void>((r) => sock.listen(join(dir, "s"), r));
    utimesSync(join(dir, "f"), new Date("2024-05-06T07:08:09.5Z"), new Date("2024-05-06T07:08:09.5Z"));
  });
  afterAll(async () => {
    await new Promise<void>((r) => sock.close(() => r()));
    rmSync(dir, { recursive: true, force: true });
  });

  const stat = (name: string) => {
    const st = lstatSync(join(dir, name), { bigint: true });
    return { name, size: Number(st.size), mode: Number(st.mode), mtimeNs: st.mtimeNs, linkTarget: st.isSymbolicLink() ? "f" : "" };
  };

  test("mode is a Go os.FileMode: type in the high bits, the docker CLI's IsDir() works", () => {
    expect(goFileMode(Number(lstatSync(join(dir, "d")).mode))).toBe(2 ** 31 + 2 ** 20 + 0o755);
    expect(goFileMode(Number(lstatSync(join(dir, "f")).mode))).toBe(2 ** 23 + 0o755);
    expect(goFileMode(Number(lstatSync(join(dir, "l")).mode))).toBe(2 ** 27 + 0o777);
    expect(goFileMode(Number(lstatSync(join(dir, "p")).mode)) & ~0o777).toBe(2 ** 25);
    expect(goFileMode(Number(lstatSync(join(dir, "s")).mode)) & ~0o777).toBe(2 ** 24);
    expect(goFileMode(Number(lstatSync("/dev/null").mode)) & ~0o777).toBe(2 ** 26 + 2 ** 21);
    expect(isGoDir(goFileMode(Number(lstatSync(join(dir, "d")).mode)))).toBe(true);
    expect(isGoDir(goFileMode(Number(lstatSync(join(dir, "f")).mode)))).toBe(false);
  });

  test("base64 JSON {name,size,mode,mtime,linkTarget} with Go's time format", () => {
    const header = encodePathStat(stat("f"));
    expect(header).toMatch(/^[A-Za-z0-9+/]+=*$/);
    expect(decodePathStat(header)).toEqual({ name: "f", size: 5, mode: 2 ** 23 + 0o755, mtime: "2024-05-06T07:08:09.5Z", linkTarget: "" });
    expect(decodePathStat(encodePathStat(stat("l")))).toMatchObject({ name: "l", linkTarget: "f", mode: 2 ** 27 + 0o777 });
    expect(goTimeJson(0n)).toBe("1970-01-01T00:00:00Z");
    expect(goTimeJson(1_700_000_000_123_456_789n)).toBe("2023-11-14T22:13:20.123456789Z");
  });
});

describe("progress lines", () => {
  test("layer statuses carry progressDetail, messages do not", () => {
    expect(progressMessage({ id: "", status: "Digest: sha256:abc" })).toEqual({ status: "Digest: sha256:abc" });
    expect(progressMessage({ id: "a3ed95caeb02", status: "Pulling fs layer" })).toEqual({ status: "Pulling fs layer", progressDetail: {}, id: "a3ed95caeb02" });
    // "Pulling from" is a message under the tag (moby's progress.Message), not a layer's status.
    expect(progressMessage({ id: "latest", status: "Pulling from library/busybox", message: true })).toEqual({ status: "Pulling from library/busybox", id: "latest" });
    expect(progressMessage({ id: "a3ed95caeb02", status: "Downloading", current: 1_048_576, total: 2_217_000 })).toEqual({
      status: "Downloading",
      progressDetail: { current: 1_048_576, total: 2_217_000 },
      progress: `[=======================>${" ".repeat(27)}]  1.049MB/2.217MB`,
      id: "a3ed95caeb02",
    });
  });

  test("the bar and sizes as go-units prints them", () => {
    expect(humanSize(512)).toBe("512B");
    expect(humanSize(32_768)).toBe("32.77kB");
    expect(humanSize(2_217_000)).toBe("2.217MB");
    expect(humanSize(1_000_000)).toBe("1MB");
    expect(progressBar(10, 10)).toBe(`[${"=".repeat(50)}>] ${"10B".padStart(8)}/10B`);
    expect(progressBar(0, 10)).toBe(`[>${" ".repeat(50)}] ${"0B".padStart(8)}/10B`);
    expect(progressBar(20, 10)).toBe(`[${"=".repeat(50)}>] ${"20B".padStart(8)}`);
    expect(progressBar(5000, 0)).toBe("     5kB");
  });
});

describe("errors", () => {
  test("statuses from the SkiffError family, 500 for anything else", () => {
    expect(errorStatus(new NotFoundError("No such image: x"))).toBe(404);
    expect(errorStatus(new ConflictError("name in use"))).toBe(409);
    expect(errorStatus(new InvalidArgumentError("bad"))).toBe(400);
    expect(errorStatus(new NotModified())).toBe(304);
    expect(errorStatus(new HostSetupError("no newuidmap", "install uidmap"))).toBe(500);
    expect(errorStatus(new RegistryError("unauthorized: authentication required", 401, []))).toBe(401);
    expect(errorStatus(new Error("boom"))).toBe(500);
    expect(errorStatus(Object.assign(new Error("EACCES"), { code: "EACCES", syscall: "open", path: "/x" }))).toBe(500);
    expect(errorStatus(new SkiffError("odd", { status: 42 }))).toBe(500);
  });

  test('the body is {"message"}, the fix on a line of its own', () => {
    expect(errorBody(new NotFoundError("No such container: web"))).toEqual({ message: "No such container: web" });
    expect(errorBody(new HostSetupError("newuidmap not found", "sudo apt-get install uidmap"))).toEqual({ message: "newuidmap not found\nHint: sudo apt-get install uidmap" });
    expect(errorBody("plain")).toEqual({ message: "plain" });
  });
});
