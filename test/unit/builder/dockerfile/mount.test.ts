import { describe, expect, test } from "vitest";
import { csvFields, parseMount } from "../../../../src/builder/dockerfile/mount.js";

describe("RUN --mount", () => {
  test("defaults: a read-only bind mount", () => {
    expect(parseMount("target=/src")).toEqual({ type: "bind", target: "/src", readOnly: true, required: false });
  });

  test("cache and tmpfs mounts are writable unless asked", () => {
    expect(parseMount("type=cache,target=/root/.cache/go-build,id=gocache,sharing=locked,mode=0700,uid=1000,gid=1000")).toEqual({
      type: "cache", target: "/root/.cache/go-build", id: "gocache", sharing: "locked", mode: 0o700, uid: 1000, gid: 1000, readOnly: false, required: false,
    });
    expect(parseMount("type=tmpfs,target=/tmp,size=64m")).toMatchObject({ readOnly: false, size: 64 * 1024 * 1024 });
    expect(parseMount("type=cache,target=/c,ro").readOnly).toBe(true);
    expect(parseMount("type=bind,source=.,target=/s,rw").readOnly).toBe(false);
    expect(parseMount("type=bind,target=/s,readwrite=true").readOnly).toBe(false);
    expect(parseMount("type=bind,target=/s,readonly=false").readOnly).toBe(false);
  });

  test("aliases and case", () => {
    expect(parseMount("TYPE=Bind,src=a,dst=/b,FROM=builder")).toMatchObject({ type: "bind", source: "a", target: "/b", from: "builder" });
    expect(parseMount("type=bind,destination=/d")).toMatchObject({ target: "/d" });
  });

  test("secrets and ssh", () => {
    expect(parseMount("type=secret,id=aws,target=/root/.aws/credentials,required")).toMatchObject({ type: "secret", id: "aws", required: true, readOnly: true });
    expect(parseMount("type=secret,id=token,env=TOKEN")).toMatchObject({ env: "TOKEN" });
    expect(parseMount("type=ssh,required=true")).toMatchObject({ type: "ssh", required: true });
  });

  test("values are expanded, keys are not", () => {
    const env: Record<string, string> = { $DIR: "/cache" };
    expect(parseMount("type=cache,target=$DIR", (v) => env[v] ?? v)).toMatchObject({ target: "/cache" });
  });

  test("quoted CSV fields may hold commas", () => {
    expect(csvFields('type=bind,"source=a,b",target=/x')).toEqual(["type=bind", "source=a,b", "target=/x"]);
    expect(csvFields('"a ""q"""')).toEqual(['a "q"']);
    expect(parseMount('type=bind,"source=a,b",target=/x')).toMatchObject({ source: "a,b" });
  });

  test("errors, in BuildKit's words", () => {
    const cases: [string, string][] = [
      ["type=cash,target=/x", 'unsupported mount type "cash" (did you mean cache?)'],
      ["type=cache,sharing=everyone", 'unsupported sharing value "everyone"'],
      ["type=bind,sharing=shared", "invalid cache sharing set for bind mount"],
      ["target=/x,bogus=1", "unexpected key 'bogus' in 'bogus=1'"],
      ["target=/x,tagret=/y", "unexpected key 'tagret' in 'tagret=/y' (did you mean target?)"],
      ["target=/x,oops", "invalid field 'oops' must be a key=value pair"],
      ["type=bind,required", "unexpected key 'required' for mount type 'bind'"],
      ["type=cache,size=1m", "unexpected key 'size' for mount type 'cache'"],
      ["type=bind,mode=0755", `mode not allowed for "bind" type mounts`],
      ["type=tmpfs,uid=1", `uid not allowed for "tmpfs" type mounts`],
      ["type=cache,mode=999", "invalid value 999 for mode"],
      ["type=cache,uid=-1", "invalid value -1 for uid"],
      ["type=bind,ro=maybe", "invalid value for ro: maybe"],
      ["type=secret", "invalid secret mount. one of source, target required"],
      ["type=secret,id=a,source=b", "both source and id can't be set"],
      ["type=secret,id=a,from=x", "secret mount should not have a from"],
      ["type=tmpfs,size=lots", "invalid value for size: lots"],
      ['type=bind,"source=a', "failed to parse csv mounts"],
    ];
    for (const [text, message] of cases) expect(() => parseMount(text), text).toThrow(message);
  });
});
