import { describe, expect, test } from "vitest";
import { compareApiVersions, negotiateApiVersion, splitVersionPrefix, ApiVersionError } from "../../../src/api/api-version.js";
import { checkJsonContentType, checkShape, decodeJson } from "../../../src/api/body.js";
import { boolFilter, checkFilterKeys, matchAny, matchLabels, parseFilters } from "../../../src/api/filters.js";
import { Query } from "../../../src/api/query.js";
import { decodeRegistryAuth, decodeRegistryConfig } from "../../../src/api/registry-auth.js";
import { RouteTable } from "../../../src/api/router.js";

// Request decoding: versions, routes, query values, filters, JSON bodies and
// registry auth headers, each as Docker's clients send them.

const msg = (fn: () => unknown) => {
  try {
    fn();
  } catch (e) {
    return { message: (e as Error).message, status: (e as { status?: number }).status };
  }
  throw new Error("did not throw");
};

describe("API versions", () => {
  test("the /vX.Y prefix is split off; paths without one are served at the newest version", () => {
    expect(splitVersionPrefix("/v1.41/images/127.0.0.1:5000/a/b:1/tag")).toEqual({ version: "1.41", path: "/images/127.0.0.1:5000/a/b:1/tag" });
    expect(splitVersionPrefix("/version")).toEqual({ path: "/version" });
    expect(splitVersionPrefix("/v1.44")).toEqual({ path: "/v1.44" });
    expect(negotiateApiVersion(undefined)).toBe("1.44");
    expect(negotiateApiVersion("1.24")).toBe("1.24");
    expect(negotiateApiVersion("1.41")).toBe("1.41");
  });

  test("compared part by part as numbers", () => {
    expect(compareApiVersions("1.9", "1.10")).toBe(-1);
    expect(compareApiVersions("1.44", "1.44.0")).toBe(0);
    expect(compareApiVersions("2", "1.99")).toBe(1);
  });

  test("out of range: moby's words, plain text below 1.24", () => {
    const tooNew = msg(() => negotiateApiVersion("1.50"));
    expect(tooNew).toEqual({ message: "client version 1.50 is too new. Maximum supported API version is 1.44", status: 400 });
    let e: unknown;
    try {
      negotiateApiVersion("1.12");
    } catch (err) {
      e = err;
    }
    expect(e).toBeInstanceOf(ApiVersionError);
    expect((e as ApiVersionError).message).toBe("client version 1.12 is too old. Minimum supported API version is 1.24, please upgrade your client to a newer version");
    expect((e as ApiVersionError).plainText).toBe(true);
    expect((e as ApiVersionError).status).toBe(400);
  });
});

describe("route table", () => {
  const handle = async () => {};
  const table = new RouteTable([
    { method: "GET", path: "/images/json", handle },
    { method: "GET", path: "/images/{name:.*}/json", handle },
    { method: "POST", path: "/images/{name:.*}/tag", handle },
    { method: "DELETE", path: "/images/{name:.*}", handle },
    { method: "GET", path: "/exec/{id}/json", handle },
  ]);

  test("greedy names keep their / and :", () => {
    const m = table.match("POST", "/images/127.0.0.1:5000/anchors/busybox:latest/tag");
    expect(m).toMatchObject({ kind: "route", params: { name: "127.0.0.1:5000/anchors/busybox:latest" } });
    expect(table.match("GET", "/images/json")).toMatchObject({ kind: "route", route: { path: "/images/json" } });
    expect(table.match("GET", "/images/a/b/json")).toMatchObject({ params: { name: "a/b" } });
    expect(table.match("DELETE", "/images/sha256:abc")).toMatchObject({ params: { name: "sha256:abc" } });
  });

  test("single segments stop at /; unknown paths and methods are told apart", () => {
    expect(table.match("GET", "/exec/abc/json")).toMatchObject({ params: { id: "abc" } });
    expect(table.match("GET", "/exec/a/b/json")).toEqual({ kind: "not-found" });
    expect(table.match("PUT", "/images/json")).toEqual({ kind: "method-not-allowed", allow: ["GET", "DELETE"] });
  });
});

describe("query values", () => {
  test("booleans as docker-py, dockerode and the Go client send them", () => {
    const q = Query.parse("a=1&b=True&c=true&d=0&e=False&f=no&g=none&h=&i=yes&j=%20FALSE%20");
    expect(["a", "b", "c", "i"].map((k) => q.bool(k))).toEqual([true, true, true, true]);
    expect(["d", "e", "f", "g", "h", "j"].map((k) => q.bool(k, true))).toEqual([false, false, false, false, false, false]);
    expect(q.bool("missing")).toBe(false);
    expect(q.bool("missing", true)).toBe(true);
  });

  test("integers with strconv's words", () => {
    const q = Query.parse("t=10&n=-3&bad=1.5&big=99999999999999999999&empty=");
    expect(q.int("t")).toBe(10);
    expect(q.int("n")).toBe(-3);
    expect(q.int("empty", 7)).toBe(7);
    expect(q.int("missing")).toBeUndefined();
    expect(msg(() => q.int("bad"))).toEqual({ message: 'strconv.ParseInt: parsing "1.5": invalid syntax', status: 400 });
    expect(msg(() => q.int("big")).message).toMatch(/value out of range/);
  });

  test("repeated keys and JSON values", () => {
    const q = Query.parse(`t=a:1&t=b:2&buildargs=${encodeURIComponent('{"X":"1"}')}&labels=%7Bbad`);
    expect(q.strings("t")).toEqual(["a:1", "b:2"]);
    expect(q.json("buildargs")).toEqual({ X: "1" });
    expect(msg(() => q.json("labels")).status).toBe(400);
  });
});

describe("filters", () => {
  test("the Go client's map shape and the list shape give the same result", () => {
    const go = parseFilters(JSON.stringify({ label: { "a=b": true, c: true }, dangling: { true: true } }));
    const list = parseFilters(JSON.stringify({ label: ["a=b", "c"], dangling: ["true"] }));
    expect(go).toEqual(list);
    expect([...go]).toEqual([
      ["label", ["a=b", "c"]],
      ["dangling", ["true"]],
    ]);
    expect(Query.parse(`filters=${encodeURIComponent('{"name":["web"]}')}`).filters().get("name")).toEqual(["web"]);
    expect(parseFilters("").size).toBe(0);
    expect(parseFilters("{}").size).toBe(0);
  });

  test("anything else is moby's 'invalid filter'", () => {
    for (const bad of ["[1]", "{bad", '{"label":"a"}', '{"label":[1]}', '{"label":{"a":"b"}}'])
      expect(msg(() => parseFilters(bad)), bad).toEqual({ message: "invalid filter", status: 400 });
    expect(msg(() => checkFilterKeys(parseFilters('{"colour":["red"]}'), ["label", "name"])).message).toBe("invalid filter 'colour'");
    expect(msg(() => boolFilter(parseFilters('{"dangling":["true","false"]}'), "dangling")).message).toBe("invalid filter 'dangling=[true false]'");
  });

  test("label, name and boolean matching", () => {
    expect(matchLabels(["a=b", "c"], { a: "b", c: "" })).toBe(true);
    expect(matchLabels(["a=b"], { a: "x" })).toBe(false);
    expect(matchLabels(["c"], {})).toBe(false);
    expect(matchLabels(undefined, {})).toBe(true);
    expect(matchAny(["web"], "project_web_1")).toBe(true);
    expect(matchAny(["^web$"], "project_web_1")).toBe(false);
    expect(matchAny(["(bad"], "(bad")).toBe(true);
    expect(boolFilter(parseFilters('{"dangling":{"1":true}}'), "dangling")).toBe(true);
    expect(boolFilter(parseFilters("{}"), "dangling")).toBeUndefined();
  });
});

describe("JSON bodies", () => {
  test("empty is no body; bad JSON is 'invalid JSON: …'", () => {
    expect(decodeJson(Buffer.alloc(0))).toBeUndefined();
    expect(decodeJson(Buffer.from(" \n"))).toBeUndefined();
    expect(decodeJson(Buffer.from('{"Image":"x"}'))).toEqual({ Image: "x" });
    const bad = msg(() => decodeJson(Buffer.from("{bad")));
    expect(bad.status).toBe(400);
    expect(bad.message).toMatch(/^invalid JSON: /);
  });

  test("wrong types named as Go's decoder names them", () => {
    const shape = { Image: "string", Env: ["string"], Tty: "boolean", StopTimeout: "integer", Labels: { "*": "string" }, HostConfig: { Memory: "integer", Binds: ["string"] } } as const;
    expect(() => checkShape({ Image: "x", Env: ["A=1"], Tty: true, StopTimeout: 10, Labels: { a: "b" }, HostConfig: { Memory: 0, Binds: null }, Unknown: 1 }, shape)).not.toThrow();
    expect(msg(() => checkShape({ Env: "A=1" }, shape)).message).toBe("invalid JSON: json: cannot unmarshal string into Go struct field Env of type []string");
    expect(msg(() => checkShape({ HostConfig: { Memory: "1g" } }, shape)).message).toBe("invalid JSON: json: cannot unmarshal string into Go struct field HostConfig.Memory of type int64");
    expect(msg(() => checkShape({ StopTimeout: 1.5 }, shape)).message).toBe("invalid JSON: json: cannot unmarshal number 1.5 into Go struct field StopTimeout of type int64");
    expect(msg(() => checkShape({ Labels: { a: 1 } }, shape)).message).toBe("invalid JSON: json: cannot unmarshal number 1 into Go struct field Labels of type string");
    expect(msg(() => checkShape([1], shape)).message).toBe("invalid JSON: json: cannot unmarshal array into Go value of type struct");
  });

  test("an explicit non-JSON Content-Type is refused, a missing one is not", () => {
    expect(() => checkJsonContentType(undefined)).not.toThrow();
    expect(() => checkJsonContentType("application/json; charset=utf-8")).not.toThrow();
    expect(msg(() => checkJsonContentType("text/plain")).message).toBe("unsupported Content-Type header (text/plain): must be 'application/json'");
  });
});

describe("registry auth headers", () => {
  const url = (v: unknown) => Buffer.from(JSON.stringify(v)).toString("base64url");
  const std = (v: unknown) => Buffer.from(JSON.stringify(v)).toString("base64");

  test("X-Registry-Auth in either base64 alphabet, with or without padding", () => {
    const auth = { username: "alice", password: "p?>>?>", serveraddress: "127.0.0.1:5000" };
    const expected = { credentials: { username: "alice", password: "p?>>?>" }, serverAddress: "127.0.0.1:5000" };
    expect(url(auth)).toMatch(/[-_]/);
    expect(decodeRegistryAuth(url(auth))).toEqual(expected);
    expect(decodeRegistryAuth(std(auth))).toEqual(expected);
    expect(decodeRegistryAuth(url(auth).replace(/=+$/, ""))).toEqual(expected);
    expect(decodeRegistryAuth(std({ identitytoken: "tok" }))).toEqual({ credentials: { identityToken: "tok" } });
    expect(decodeRegistryAuth(std({ auth: Buffer.from("bob:pw:x").toString("base64") }))).toEqual({ credentials: { username: "bob", password: "pw:x" } });
  });

  test("no header, an empty one and {} mean: use skiff's own logins", () => {
    expect(decodeRegistryAuth(undefined)).toBeUndefined();
    expect(decodeRegistryAuth("")).toBeUndefined();
    expect(decodeRegistryAuth("e30=")).toBeUndefined();
    expect(decodeRegistryAuth(std({ username: "", password: "" }))).toBeUndefined();
  });

  test("malformed headers are 400s in moby's words", () => {
    expect(msg(() => decodeRegistryAuth("not base64!"))).toEqual({ message: "invalid X-Registry-Auth header: must be a valid base64url-encoded string", status: 400 });
    expect(msg(() => decodeRegistryAuth(Buffer.from("{nope").toString("base64"))).message).toMatch(/^invalid X-Registry-Auth header: invalid JSON: /);
  });

  test("X-Registry-Config: every registry's login, keyed by host", () => {
    const config = { "https://index.docker.io/v1/": { username: "hub", password: "h" }, "127.0.0.1:5000": { username: "a", password: "b" }, "quay.io": {} };
    const m = decodeRegistryConfig(url(config));
    expect([...m]).toEqual([
      ["docker.io", { username: "hub", password: "h" }],
      ["127.0.0.1:5000", { username: "a", password: "b" }],
    ]);
    expect(decodeRegistryConfig(undefined).size).toBe(0);
    expect(msg(() => decodeRegistryConfig(std([1]))).status).toBe(400);
  });
});
