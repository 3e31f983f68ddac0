import { describe, expect, test } from "vitest";
import { InvalidArgumentError } from "../../../src/errors.js";
import { parseReference, Reference, validateDigest } from "../../../src/image/reference.js";

const D64 = "ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff";
const SHA = `sha256:${D64}`;

// input → [toString(), domain, path, tag, digest, familiarString()]
const VALID: [string, string, string, string, string | undefined, string | undefined, string][] = [
  ["busybox", "docker.io/library/busybox:latest", "docker.io", "library/busybox", "latest", undefined, "busybox:latest"],
  ["busybox:1.36", "docker.io/library/busybox:1.36", "docker.io", "library/busybox", "1.36", undefined, "busybox:1.36"],
  ["library/debian", "docker.io/library/debian:latest", "docker.io", "library/debian", "latest", undefined, "debian:latest"],
  ["docker.io/debian", "docker.io/library/debian:latest", "docker.io", "library/debian", "latest", undefined, "debian:latest"],
  ["index.docker.io/debian", "docker.io/library/debian:latest", "docker.io", "library/debian", "latest", undefined, "debian:latest"],
  ["index.docker.io/docker/docker", "docker.io/docker/docker:latest", "docker.io", "docker/docker", "latest", undefined, "docker/docker:latest"],
  ["user/repo", "docker.io/user/repo:latest", "docker.io", "user/repo", "latest", undefined, "user/repo:latest"],
  ["library/foo/bar", "docker.io/library/foo/bar:latest", "docker.io", "library/foo/bar", "latest", undefined, "library/foo/bar:latest"],
  ["localhost/x", "localhost/x:latest", "localhost", "x", "latest", undefined, "localhost/x:latest"],
  ["localhost/library/debian", "localhost/library/debian:latest", "localhost", "library/debian", "latest", undefined, "localhost/library/debian:latest"],
  ["localhost:5000/x:1", "localhost:5000/x:1", "localhost:5000", "x", "1", undefined, "localhost:5000/x:1"],
  ["test:5000/repo", "test:5000/repo:latest", "test:5000", "repo", "latest", undefined, "test:5000/repo:latest"],
  ["127.0.0.1:5000/docker/docker", "127.0.0.1:5000/docker/docker:latest", "127.0.0.1:5000", "docker/docker", "latest", undefined, "127.0.0.1:5000/docker/docker:latest"],
  ["example.com/privatebase", "example.com/privatebase:latest", "example.com", "privatebase", "latest", undefined, "example.com/privatebase:latest"],
  ["sub-dom1.foo.com/bar/baz/quux:some-long-tag", "sub-dom1.foo.com/bar/baz/quux:some-long-tag", "sub-dom1.foo.com", "bar/baz/quux", "some-long-tag", undefined, "sub-dom1.foo.com/bar/baz/quux:some-long-tag"],
  ["b.gcr.io/test.example.com/my-app:test.example.com", "b.gcr.io/test.example.com/my-app:test.example.com", "b.gcr.io", "test.example.com/my-app", "test.example.com", undefined, "b.gcr.io/test.example.com/my-app:test.example.com"],
  // A single component is never a registry: what follows ":" is a tag.
  ["192.168.0.1", "docker.io/library/192.168.0.1:latest", "docker.io", "library/192.168.0.1", "latest", undefined, "192.168.0.1:latest"],
  ["192.168.0.1:80", "docker.io/library/192.168.0.1:80", "docker.io", "library/192.168.0.1", "80", undefined, "192.168.0.1:80"],
  ["localhost:5000", "docker.io/library/localhost:5000", "docker.io", "library/localhost", "5000", undefined, "localhost:5000"],
  ["foo_bar.com:8080", "docker.io/library/foo_bar.com:8080", "docker.io", "library/foo_bar.com", "8080", undefined, "foo_bar.com:8080"],
  ["foo/foo_bar.com:8080", "docker.io/foo/foo_bar.com:8080", "docker.io", "foo/foo_bar.com", "8080", undefined, "foo/foo_bar.com:8080"],
  ["192.168.1.1:5000/repo:5050", "192.168.1.1:5000/repo:5050", "192.168.1.1:5000", "repo", "5050", undefined, "192.168.1.1:5000/repo:5050"],
  ["[2001:db8::1]/repo", "[2001:db8::1]/repo:latest", "[2001:db8::1]", "repo", "latest", undefined, "[2001:db8::1]/repo:latest"],
  ["[::1]:5000/repo:tag", "[::1]:5000/repo:tag", "[::1]:5000", "repo", "tag", undefined, "[::1]:5000/repo:tag"],
  ["[fc00:1:2:3:4:5:6:7]:5000/library/debian", "[fc00:1:2:3:4:5:6:7]:5000/library/debian:latest", "[fc00:1:2:3:4:5:6:7]:5000", "library/debian", "latest", undefined, "[fc00:1:2:3:4:5:6:7]:5000/library/debian:latest"],
  // Upper case in the first component makes it a domain, and domains may be upper case.
  ["Foo/bar", "Foo/bar:latest", "Foo", "bar", "latest", undefined, "Foo/bar:latest"],
  ["LOCALDOMAIN/library/debian", "LOCALDOMAIN/library/debian:latest", "LOCALDOMAIN", "library/debian", "latest", undefined, "LOCALDOMAIN/library/debian:latest"],
  ["lowercase:Uppercase", "docker.io/library/lowercase:Uppercase", "docker.io", "library/lowercase", "Uppercase", undefined, "lowercase:Uppercase"],
  ["docker---rules/docker", "docker.io/docker---rules/docker:latest", "docker.io", "docker---rules/docker", "latest", undefined, "docker---rules/docker:latest"],
  ["dock__er/docker", "docker.io/dock__er/docker:latest", "docker.io", "dock__er/docker", "latest", undefined, "dock__er/docker:latest"],
  ["d/docker", "docker.io/d/docker:latest", "docker.io", "d/docker", "latest", undefined, "d/docker:latest"],
  ["xn--7o8h.com/myimage:xn--7o8h.com", "xn--7o8h.com/myimage:xn--7o8h.com", "xn--7o8h.com", "myimage", "xn--7o8h.com", undefined, "xn--7o8h.com/myimage:xn--7o8h.com"],
  // Digests: no default tag; a tag given with a digest is kept.
  [`busybox@${SHA}`, `docker.io/library/busybox@${SHA}`, "docker.io", "library/busybox", undefined, SHA, `busybox@${SHA}`],
  [`busybox:latest@${SHA}`, `docker.io/library/busybox:latest@${SHA}`, "docker.io", "library/busybox", "latest", SHA, `busybox:latest@${SHA}`],
  [`test:5000/repo@${SHA}`, `test:5000/repo@${SHA}`, "test:5000", "repo", undefined, SHA, `test:5000/repo@${SHA}`],
  [`docker.io/1a3f5e7d9c1b3a5f7e9d1c3b5a7f9e1d3c5b7a9f1e3d5d7c9b1a3f5e7d9c1b3a`, "docker.io/library/1a3f5e7d9c1b3a5f7e9d1c3b5a7f9e1d3c5b7a9f1e3d5d7c9b1a3f5e7d9c1b3a:latest", "docker.io", "library/1a3f5e7d9c1b3a5f7e9d1c3b5a7f9e1d3c5b7a9f1e3d5d7c9b1a3f5e7d9c1b3a", "latest", undefined, "1a3f5e7d9c1b3a5f7e9d1c3b5a7f9e1d3c5b7a9f1e3d5d7c9b1a3f5e7d9c1b3a:latest"],
  [`x@sha512:${"a".repeat(128)}`, `docker.io/library/x@sha512:${"a".repeat(128)}`, "docker.io", "library/x", undefined, `sha512:${"a".repeat(128)}`, `x@sha512:${"a".repeat(128)}`],
];

// input → Docker's message
const INVALID: [string, string][] = [
  ["", "invalid reference format"],
  [":justtag", "invalid reference format"],
  [`@${SHA}`, "invalid reference format"],
  ["Busybox", "invalid reference format: repository name (library/Busybox) must be lowercase"],
  ["Uppercase:tag", "invalid reference format: repository name (library/Uppercase) must be lowercase"],
  ["docker/Docker", "invalid reference format: repository name (docker/Docker) must be lowercase"],
  ["docker.io/docker/Docker", "invalid reference format: repository name (docker/Docker) must be lowercase"],
  ["test:5000/Uppercase/lowercase:tag", "invalid reference format: repository name (Uppercase/lowercase) must be lowercase"],
  ["1a3f5e7d9c1b3a5f7e9d1c3b5a7f9e1d3c5b7a9f1e3d5d7c9b1a3f5e7d9c1b3a", "invalid repository name (1a3f5e7d9c1b3a5f7e9d1c3b5a7f9e1d3c5b7a9f1e3d5d7c9b1a3f5e7d9c1b3a), cannot specify 64-byte hexadecimal strings"],
  ["busybox:bad tag", "invalid reference format"],
  ["busybox:-foo", "invalid reference format"],
  [`busybox:${"a".repeat(129)}`, "invalid reference format"],
  ["https://github.com/docker/docker", "invalid reference format"],
  ["-docker", "invalid reference format"],
  ["-docker/docker", "invalid reference format"],
  ["docker-/docker", "invalid reference format"],
  ["-docker.io/docker/docker", "invalid reference format"],
  ["docker///docker", "invalid reference format"],
  ["docker/", "invalid reference format"],
  ["____/____", "invalid reference format"],
  ["_docker/_docker", "invalid reference format"],
  ["dock..er/docker", "invalid reference format"],
  ["dock_.er/docker", "invalid reference format"],
  ["dock-.er/docker", "invalid reference format"],
  ["aa/asdf$$^/aa", "invalid reference format"],
  ["[fc00::1]", "invalid reference format"],
  ["[fc00::1]:5000", "invalid reference format"],
  ["fc00::1:5000/debian", "invalid reference format"],
  ["[fe80::1%eth0]:5000/debian", "invalid reference format"],
  ["[2001:db8:3:4::192.0.2.33]:5000/debian", "invalid reference format"],
  [`domain.com/${"a".repeat(256)}:tag`, "repository name must not be more than 255 characters"],
  ["repo@sha256:ffffffffffffffffffffffffffffffffff", "invalid checksum digest length"],
  [`repo@sha256:${"F".repeat(64)}`, "invalid checksum digest format"],
  [`validname@invaliddigest:${D64}`, "unsupported digest algorithm"],
  [`repo@sha384:${"f".repeat(96)}`, "unsupported digest algorithm"],
  ["repo@sha256:abc", "invalid reference format"],
];

describe("parseReference", () => {
  test.each(VALID)("%s", (input, full, domain, path, tag, digest, familiar) => {
    const ref = parseReference(input);
    expect(ref.toString()).toBe(full);
    expect([ref.domain, ref.path, ref.tag, ref.digest]).toEqual([domain, path, tag, digest]);
    expect(ref.familiarString()).toBe(familiar);
    expect(ref.repository()).toBe(`${domain}/${path}`);
    // The familiar form reads back to the same reference.
    expect(parseReference(familiar).toString()).toBe(full);
  });

  test.each(INVALID)("rejects %s", (input, message) => {
    let err: unknown;
    try {
      parseReference(input);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(InvalidArgumentError);
    expect((err as InvalidArgumentError).message).toBe(message);
    expect((err as InvalidArgumentError).code).toBe(125);
  });

  test("a path of exactly 255 characters is allowed", () => {
    expect(parseReference(`example.com/${"a".repeat(255)}:tag`).path).toHaveLength(255);
    expect(parseReference(`${"a/".repeat(127)}a:tag`).domain).toBe("docker.io");
  });

  test("familiar names drop docker.io and a single-level library/", () => {
    expect(parseReference("docker.io/library/ubuntu").familiarName()).toBe("ubuntu");
    expect(parseReference("ubuntu-12.04-base").familiarName()).toBe("ubuntu-12.04-base");
    expect(parseReference("docker.io/library/foo/bar").familiarName()).toBe("library/foo/bar");
    expect(parseReference("other/library").familiarName()).toBe("other/library");
    expect(parseReference("localhost:5000/library/x").familiarName()).toBe("localhost:5000/library/x");
  });

  test("without the default tag", () => {
    const ref = parseReference("busybox", { defaultTag: false });
    expect(ref.tag).toBeUndefined();
    expect(ref.toString()).toBe("docker.io/library/busybox");
    expect(ref.familiarString()).toBe("busybox");
  });

  test("another default registry resolves short names, without Docker Hub's library/", () => {
    const opts = { defaultDomain: "registry.example.com" };
    expect(parseReference("busybox", opts).toString()).toBe("registry.example.com/busybox:latest");
    expect(parseReference("team/app:1", opts).toString()).toBe("registry.example.com/team/app:1");
    expect(parseReference("docker.io/busybox", opts).toString()).toBe("docker.io/library/busybox:latest");
    expect(parseReference("quay.io/a/b", opts).toString()).toBe("quay.io/a/b:latest");
  });

  test("hostile input fails fast", () => {
    const started = performance.now();
    for (const s of ["a" + "-".repeat(5000) + "!", "a.".repeat(3000) + "/", "a".repeat(5000) + "/" + "a_".repeat(2000) + "!"])
      expect(() => parseReference(s)).toThrow(InvalidArgumentError);
    expect(performance.now() - started).toBeLessThan(1000);
  });
});

describe("Reference", () => {
  const ref = parseReference("busybox:1.36");

  test("withTag and withDigest keep the other part, as Docker's do", () => {
    expect(ref.withTag("musl").toString()).toBe("docker.io/library/busybox:musl");
    const pinned = ref.withDigest(SHA);
    expect(pinned.toString()).toBe(`docker.io/library/busybox:1.36@${SHA}`);
    expect(pinned.withTag("x").digest).toBe(SHA);
    expect(pinned.nameOnly().toString()).toBe("docker.io/library/busybox");
    expect(ref.equals(parseReference("docker.io/library/busybox:1.36"))).toBe(true);
  });

  test("withTag and withDigest validate", () => {
    expect(() => ref.withTag("-foo")).toThrow("invalid tag format");
    expect(() => ref.withDigest("foo")).toThrow("invalid digest format");
    expect(() => ref.withDigest("sha256:" + "a".repeat(31))).toThrow("invalid digest format");
    expect(() => ref.withDigest("sha256:" + "a".repeat(63))).toThrow("invalid checksum digest length");
  });

  test("is a plain value", () => {
    expect(new Reference("docker.io", "library/x", "1").familiarString()).toBe("x:1");
    expect(`${ref}`).toBe("docker.io/library/busybox:1.36");
  });
});

describe("validateDigest", () => {
  test("go-digest's checks and messages", () => {
    expect(() => validateDigest(SHA)).not.toThrow();
    expect(() => validateDigest("sha256")).toThrow("invalid checksum digest format");
    expect(() => validateDigest("sha256:")).toThrow("invalid checksum digest format");
    expect(() => validateDigest("sha256:abc")).toThrow("invalid checksum digest length");
    expect(() => validateDigest(`sha256:${"g".repeat(64)}`)).toThrow("invalid checksum digest format");
    expect(() => validateDigest("md5:d41d8cd98f00b204e9800998ecf8427e")).toThrow("unsupported digest algorithm");
    expect(() => validateDigest("MD5:abc")).toThrow("invalid checksum digest format");
  });
});
