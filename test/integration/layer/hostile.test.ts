import { createHash } from "node:crypto";
import { lstatSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, readlinkSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Readable } from "node:stream";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { SkiffError } from "../../../src/errors.js";
import { extractLayer } from "../../../src/layer/extract.js";
import { hostileTars, type HostileCase } from "../../fixtures/hostile-tars.js";
import { SkiffEnv, isRoot } from "../../helpers/cli.js";

// Tar-slip and malformed layers: each is refused with an error naming the
// entry (or, where the tar is actually safe, extracted without following
// anything), and nothing outside the destination changes. Run in this
// process (as whoever runs the tests, root included) and inside skiff's user
// namespace, where the extractor is uid 0 and only its own checks stand
// between a layer and the user's files.

const insideScript = join(import.meta.dirname, "inside.mjs");

/** Everything below `sandbox` except the destinations: path → type, mode, content or link target. */
function snapshot(sandbox: string): Map<string, string> {
  const out = new Map<string, string>();
  const walk = (rel: string) => {
    for (const name of readdirSync(join(sandbox, rel))) {
      const r = rel ? `${rel}/${name}` : name;
      if (/^a\/b\/dest-\d+$/.test(r) || r === "tars") continue;
      const f = join(sandbox, r);
      const st = lstatSync(f);
      const what = st.isFile()
        ? createHash("sha256").update(readFileSync(f)).digest("hex")
        : st.isSymbolicLink()
          ? `-> ${readlinkSync(f)}`
          : st.isDirectory()
            ? "dir"
            : "other";
      out.set(r, `${st.mode.toString(8)} ${what}`);
      if (st.isDirectory()) walk(r);
    }
  };
  walk("");
  return out;
}

const passwd = () => createHash("sha256").update(readFileSync("/etc/passwd")).digest("hex");

function makeSandbox(base: string): { sandbox: string; outside: string } {
  const sandbox = join(base, "sandbox");
  const outside = join(sandbox, "outside");
  mkdirSync(join(sandbox, "a", "b"), { recursive: true });
  mkdirSync(outside);
  writeFileSync(join(outside, "victim"), "original");
  return { sandbox, outside };
}

/** Feed a tar in odd-sized chunks, so headers and data straddle chunk boundaries. */
function chunked(tar: Buffer, size = 4093): Readable {
  const parts: Buffer[] = [];
  for (let i = 0; i < tar.length; i += size) parts.push(tar.subarray(i, i + size));
  return Readable.from(parts);
}

describe("hostile layer tars, extracted in this process", () => {
  let base: string;
  let sandbox: string;
  let cases: HostileCase[];
  let before: Map<string, string>;
  const passwdBefore = passwd();

  beforeAll(async () => {
    base = mkdtempSync(join(tmpdir(), "skiff-hostile-"));
    let outside: string;
    ({ sandbox, outside } = makeSandbox(base));
    cases = await hostileTars(outside);
    before = snapshot(sandbox);
  });
  afterAll(() => rmSync(base, { recursive: true, force: true }));

  test("every case", async () => {
    expect(cases.length).toBeGreaterThanOrEqual(20);
    for (const [i, c] of cases.entries()) {
      const dest = join(sandbox, "a", "b", `dest-${i}`);
      mkdirSync(dest);
      const run = extractLayer(chunked(c.tar), dest, { ignoreChownErrors: true });
      if (c.expect === "ok") {
        await expect(run, c.name).resolves.toBeTruthy();
      } else {
        const err = await run.then(
          () => undefined,
          (e: unknown) => e,
        );
        expect(err, c.name).toBeInstanceOf(SkiffError);
        const e = err as SkiffError;
        expect(e.message, c.name).toMatch(c.expect);
        expect(e.message, c.name).not.toContain("\n");
        expect(e.hint, c.name).toBeTruthy();
      }
      expect(snapshot(sandbox), c.name).toEqual(before);
    }
    expect(passwd()).toBe(passwdBefore);
  });

  test("what the safe cases leave: plain files where links were, the victim untouched", () => {
    const i = cases.findIndex((c) => c.name === "a file replacing a symlink to outside");
    const s = join(sandbox, "a", "b", `dest-${i}`, "s");
    expect(lstatSync(s).isFile()).toBe(true);
    expect(readFileSync(s, "utf8")).toBe("pwned");
    expect(readFileSync(join(sandbox, "outside", "victim"), "utf8")).toBe("original");
  });
});

describe.skipIf(isRoot)("hostile layer tars, extracted inside the user namespace", () => {
  let env: SkiffEnv;
  afterAll(() => env?.cleanup());

  test("every case", async () => {
    env = new SkiffEnv();
    const { sandbox, outside } = makeSandbox(join(env.base, "work"));
    const cases = await hostileTars(outside);
    mkdirSync(join(sandbox, "tars"));
    const jobs = cases.map((c, i) => {
      const tar = join(sandbox, "tars", `${i}.tar`);
      writeFileSync(tar, c.tar);
      return { tar, dest: join(sandbox, "a", "b", `dest-${i}`) };
    });
    writeFileSync(join(env.base, "jobs.json"), JSON.stringify(jobs));
    const before = snapshot(sandbox);
    const passwdBefore = passwd();
    const out = await env.ok(["unshare", process.execPath, insideScript, "extract-many", join(env.base, "jobs.json")]);
    const results = JSON.parse(out) as { ok: boolean; message?: string; hint?: string }[];
    for (const [i, c] of cases.entries()) {
      const r = results[i]!;
      if (c.expect === "ok") expect(r, c.name).toMatchObject({ ok: true });
      else {
        expect(r.ok, c.name).toBe(false);
        expect(r.message, c.name).toMatch(c.expect);
        expect(r.hint, c.name).toBeTruthy();
      }
    }
    expect(snapshot(sandbox)).toEqual(before);
    expect(passwd()).toBe(passwdBefore);
  });
});
