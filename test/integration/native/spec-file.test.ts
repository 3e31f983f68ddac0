import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { decodeField, encodeField, formatRuntimeSpec, parseRuntimeSpec, type RuntimeSpec } from "../../../src/runtime/spec-file.js";
import type { UserNamespace } from "../../../src/userns/namespace.js";
import { SkiffEnv, isRoot } from "../../helpers/cli.js";
import { dockerLikeSpec, nativeNamespace, startMonitor } from "../../helpers/native.js";
import { makeBusyboxRootfs } from "../../helpers/rootfs.js";

// The spec file between the host and skiff-runtime: the TypeScript writer,
// and the runtime's reading of it (what it accepts, what it refuses).

describe("runtime spec file format", () => {
  test("fields are percent-encoded so tabs, newlines and percent signs survive", () => {
    expect(encodeField("a\tb\nc%d\re")).toBe("a%09b%0Ac%25d%0De");
    expect(decodeField("a%09b%0Ac%25d%0De")).toBe("a\tb\nc%d\re");
    expect(encodeField("späce é")).toBe("späce é");
  });

  test("format and parse are a round trip", () => {
    const spec: RuntimeSpec = {
      ...dockerLikeSpec("/r o/o\tt", ["sh", "-c", "echo 'a\tb'\necho %s"]),
      namespaces: [{ type: "mount" }, { type: "net", path: "/proc/12/ns/net" }],
      user: { uid: 1000, gid: 100, additionalGids: [5, 6] },
      umask: 0o027,
      readonly: true,
      tty: true,
      consoleSize: { rows: 24, cols: 80 },
      syncBeforeExec: true,
      rlimits: [{ type: "RLIMIT_NOFILE", soft: 1024, hard: "unlimited" }],
    };
    const text = formatRuntimeSpec(spec);
    expect(text.split("\n").filter(Boolean).every((l) => /^[a-z-]+(\t[^\t\n]*)*$/.test(l))).toBe(true);
    expect(text).toContain("umask\t0027\n");
    expect(text).toContain("namespace\tnet\t/proc/12/ns/net\n");
    expect(parseRuntimeSpec(text)).toEqual(spec);
  });
});

describe.skipIf(isRoot)("skiff-runtime reads the spec file", () => {
  let env: SkiffEnv;
  let ns: UserNamespace;
  let rootfs: string;
  let count = 0;
  beforeAll(() => {
    env = new SkiffEnv();
    ns = nativeNamespace(env);
    rootfs = makeBusyboxRootfs(join(env.base, "work", "rootfs"));
  });
  afterAll(() => env?.cleanup());

  async function status(specText: string): Promise<string> {
    const r = startMonitor(ns, env, { dir: join(env.base, "work", `c${++count}`), spec: { args: ["x"], env: [] }, specText });
    const s = await r.status;
    await r.exited;
    return s;
  }

  test("an argv word with a tab, a newline and a percent sign arrives intact", async () => {
    const r = startMonitor(ns, env, { dir: join(env.base, "work", "argv"), spec: dockerLikeSpec(rootfs, ["echo", "a\tb\nc%41"]) });
    expect(await r.attach!.exit).toBe(0);
    expect(r.attach!.text(1)).toBe("a\tb\nc%41\n");
  });

  test("malformed specs are refused as spec errors with the line", async () => {
    const spec = (...lines: string[]) => lines.join("\n") + "\n";
    expect(await status(spec("arg\tsh", "colour\tblue"))).toBe(`error spec ${join(env.base, "work", "c1", "spec")} line 2: unknown directive "colour"`);
    expect(await status(spec("arg\tsh", "user\t1000"))).toMatch(/line 2: user takes 2 fields, got 1$/);
    expect(await status(spec("arg\ta%zz"))).toMatch(/line 1: bad percent escape in "a%zz"$/);
    expect(await status(spec("arg\tsh", "cap\tCAP_FLY"))).toMatch(/unknown capability "CAP_FLY"$/);
    expect(await status(spec("arg\tsh", "rlimit\tnofile\t10\t5"))).toMatch(/rlimit nofile: soft limit above hard limit$/);
    expect(await status(spec("env\tA=1"))).toMatch(/^error spec .*: no arg directive: nothing to run$/);
    expect(await status(spec("arg\tsh", "mount\t/x\ttmpfs\ttmpfs\t"))).toMatch(/^error spec rootfs, mounts, masks and read-only paths need a new mount namespace$/);
  });
});
