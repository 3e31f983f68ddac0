import { describe, expect, test } from "vitest";
import { chooseChallenge, parseChallenges } from "../../../src/registry/challenge.js";
import { ChallengeError, describeEntries, parseErrorBody, redactUrl, transportError } from "../../../src/registry/errors.js";
import { apiHost, familiarName, isLoopback, splitHostPort } from "../../../src/registry/hosts.js";
import { nextLink } from "../../../src/registry/listing.js";
import { backoffDelay, DEFAULT_RETRY, parseRetryAfter } from "../../../src/registry/retry.js";
import { computeDigest, hasherFor, isDigestReference } from "../../../src/registry/digest.js";

describe("WWW-Authenticate", () => {
  test("Bearer with quoted params, commas inside quotes, escapes", () => {
    const [c] = parseChallenges('Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:a/b:pull,push"', "h");
    expect(c).toEqual({ scheme: "bearer", params: { realm: "https://auth.docker.io/token", service: "registry.docker.io", scope: "repository:a/b:pull,push" } });
    expect(parseChallenges('Basic realm="a \\"quoted\\" realm"', "h")[0].params.realm).toBe('a "quoted" realm');
  });

  test("several challenges: Bearer is chosen over Basic", () => {
    const all = parseChallenges('Basic realm="r", Bearer realm="https://t/token", service=reg', "h");
    expect(all.map((c) => c.scheme)).toEqual(["basic", "bearer"]);
    expect(chooseChallenge('Basic realm="r", Bearer realm="https://t/token"', "h").scheme).toBe("bearer");
    expect(chooseChallenge('Basic realm="Registry Realm"', "h").scheme).toBe("basic");
  });

  test("malformed and unsupported challenges are clear errors", () => {
    expect(() => chooseChallenge('Bearer realm="x', "reg:5000")).toThrow(/registry reg:5000 sent a malformed authentication challenge/);
    expect(() => chooseChallenge("Bearer service=x", "reg")).toThrow(/realm is missing/);
    expect(() => chooseChallenge('Bearer realm="/relative"', "reg")).toThrow(/is not an http\(s\) URL/);
    expect(() => chooseChallenge("Negotiate, NTLM", "reg")).toThrow(/unsupported authentication: negotiate, ntlm/);
    expect(() => chooseChallenge(undefined, "reg")).toThrow(ChallengeError);
    expect(() => chooseChallenge("=", "reg")).toThrow(/malformed/);
  });
});

describe("error bodies and messages", () => {
  test("registry error codes in Docker's words", () => {
    const e = parseErrorBody(Buffer.from('{"errors":[{"code":"MANIFEST_UNKNOWN","message":"manifest unknown","detail":{"Tag":"x"}}]}'));
    expect(describeEntries(e)).toBe("manifest unknown: manifest unknown");
    expect(parseErrorBody(Buffer.from("<html>bad gateway</html>"))).toEqual([]);
    expect(parseErrorBody(Buffer.from('{"errors":"nope"}'))).toEqual([]);
  });

  test("network failures in Go's words", () => {
    const u = new URL("http://127.0.0.1:5000/v2/");
    expect(transportError("GET", u, { code: "ECONNREFUSED" }).message).toBe('Get "http://127.0.0.1:5000/v2/": dial tcp 127.0.0.1:5000: connect: connection refused');
    expect(transportError("HEAD", new URL("https://nowhere.invalid/v2/"), { code: "ENOTFOUND" }).message).toBe('Head "https://nowhere.invalid/v2/": dial tcp: lookup nowhere.invalid: no such host');
    expect(transportError("GET", u, { code: "ECONNRESET" }).retryable).toBe(true);
    expect(transportError("GET", u, { code: "ERR_TLS_CERT_ALTNAME_INVALID", message: "Hostname/IP does not match" }).hint).toMatch(/insecure/);
  });

  test("URLs in messages carry no user info, tokens or signatures", () => {
    const u = "https://user:secret@reg.example/v2/a/blobs/uploads/1?_state=abc&digest=sha256:1&X-Amz-Signature=s&X-Amz-Credential=c";
    const r = redactUrl(u);
    expect(r).not.toMatch(/secret|user|abc|=s&|=c$/);
    expect(r).toContain("digest=sha256%3A1");
    const e = transportError("PUT", new URL(u), { code: "ECONNRESET" });
    expect(e.message).not.toContain("secret");
    expect(e.message).not.toContain("abc");
  });
});

describe("hosts", () => {
  test("loopback hosts are insecure by default", () => {
    for (const h of ["localhost", "localhost:5000", "127.0.0.1:5000", "127.1.2.3", "[::1]:5000", "foo.localhost"]) expect(isLoopback(h)).toBe(true);
    for (const h of ["registry.example", "10.0.0.1:5000", "localhost.example.com", "[2001:db8::1]:5000"]) expect(isLoopback(h)).toBe(false);
  });

  test("Docker Hub names", () => {
    expect(apiHost("docker.io")).toBe("registry-1.docker.io");
    expect(apiHost("ghcr.io")).toBe("ghcr.io");
    expect(familiarName("docker.io", "library/busybox")).toBe("busybox");
    expect(familiarName("docker.io", "me/app")).toBe("me/app");
    expect(familiarName("localhost:5000", "library/busybox")).toBe("localhost:5000/library/busybox");
    expect(splitHostPort("[::1]:5000")).toEqual({ hostname: "::1", port: "5000" });
  });
});

describe("pagination, retries, digests", () => {
  test("Link rel=next, relative or absolute", () => {
    const base = new URL("http://r:5000/v2/_catalog?n=2");
    expect(nextLink('</v2/_catalog?last=b&n=2>; rel="next"', base)?.href).toBe("http://r:5000/v2/_catalog?last=b&n=2");
    expect(nextLink('<https://cdn/x?last=c>; rel=next', base)?.href).toBe("https://cdn/x?last=c");
    expect(nextLink('</a>; rel="prev", </b>; rel="next"', base)?.pathname).toBe("/b");
    expect(nextLink('</a>; rel="prev"', base)).toBeUndefined();
    expect(nextLink(undefined, base)).toBeUndefined();
  });

  test("Retry-After as seconds or a date; back-off doubles to its cap", () => {
    expect(parseRetryAfter("3")).toBe(3000);
    expect(parseRetryAfter(new Date(Date.now() + 5000).toUTCString())).toBeGreaterThan(3000);
    expect(parseRetryAfter("soon")).toBeUndefined();
    const d = [1, 2, 3, 4, 5].map((a) => backoffDelay(DEFAULT_RETRY, a));
    expect(d[0]).toBeGreaterThanOrEqual(160);
    expect(d[0]).toBeLessThanOrEqual(240);
    expect(d[4]).toBeLessThanOrEqual(1920);
  });

  test("digest references and algorithms", () => {
    expect(isDigestReference(`sha256:${"a".repeat(64)}`)).toBe(true);
    expect(isDigestReference("latest")).toBe(false);
    expect(isDigestReference("v1.2")).toBe(false);
    expect(() => hasherFor("md5:abc")).toThrow(/unsupported or malformed digest/);
    expect(() => hasherFor(`sha256:${"A".repeat(64)}`)).toThrow();
    expect(computeDigest(Buffer.from("x"), `sha512:${"0".repeat(128)}`)).toMatch(/^sha512:[a-f0-9]{128}$/);
  });
});
