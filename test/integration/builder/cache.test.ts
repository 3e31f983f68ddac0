import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { loadBusybox } from "../../helpers/busybox.js";
import { SkiffEnv, isRoot } from "../../helpers/cli.js";

// The layer cache: a rebuild reuses every step and ends at the same image;
// a changed context file invalidates its COPY and every later step; a
// changed --build-arg invalidates the RUN steps that see it; --no-cache
// rebuilds everything; removing the image drops its cache entries' use.

let env: SkiffEnv;
let dir: string;

const DOCKERFILE = `FROM busybox
ARG FLAVOUR=plain
ENV A=1
COPY static.txt /static.txt
COPY app/ /app/
RUN cat /app/main.txt > /derived && echo "$FLAVOUR" > /flavour && date +%s%N > /stamp
CMD ["cat", "/derived"]
`;

const steps = (out: string) => out.split("\n").filter((l) => l.startsWith("Step ")).length;
const cachedSteps = (out: string) => out.split("\n").filter((l) => l === " ---> Using cache").length;
const builtId = (out: string) => /Successfully built ([0-9a-f]{12})/.exec(out)?.[1];

beforeAll(async () => {
  env = new SkiffEnv();
  await loadBusybox(env, "busybox:latest");
  dir = join(env.base, "work", "ctx");
  mkdirSync(join(dir, "app"), { recursive: true });
  writeFileSync(join(dir, "Dockerfile"), DOCKERFILE);
  writeFileSync(join(dir, "static.txt"), "static\n");
  writeFileSync(join(dir, "app", "main.txt"), "v1\n");
});
afterAll(() => env?.cleanup());

describe.skipIf(isRoot)("build cache", () => {
  test("a second build uses the cache for every step and gives the same image", async () => {
    const first = await env.ok(["build", "-t", "cached:1", dir]);
    expect(steps(first)).toBe(7);
    expect(cachedSteps(first)).toBe(0);
    const second = await env.ok(["build", "-t", "cached:2", dir]);
    // Every step after FROM says "Using cache", and no container runs.
    expect(cachedSteps(second)).toBe(6);
    expect(second).not.toContain("Running in");
    expect(builtId(second)).toBe(builtId(first));
    const ids = await env.ok(["images", "--no-trunc", "-q", "cached"]);
    expect(new Set(ids.trim().split("\n")).size).toBe(1);
  });

  test("a changed context file invalidates its COPY and everything after it", async () => {
    const before = await env.ok(["run", "--rm", "cached:1", "cat", "/stamp"]);
    writeFileSync(join(dir, "app", "main.txt"), "v2\n");
    const out = await env.ok(["build", "-t", "cached:3", dir]);
    const lines = out.split("\n");
    const at = (prefix: string) => lines.findIndex((l) => l.startsWith(prefix));
    // ARG, ENV and the first COPY come from the cache; COPY app/ and what follows are built again.
    expect(lines[at("Step 4/7") + 1]).toBe(" ---> Using cache");
    expect(lines[at("Step 5/7") + 1]).not.toBe(" ---> Using cache");
    expect(lines[at("Step 6/7") + 1]).toMatch(/^ ---> Running in /);
    expect(cachedSteps(out)).toBe(3);
    expect(await env.ok(["run", "--rm", "cached:3"])).toBe("v2\n");
    expect(await env.ok(["run", "--rm", "cached:3", "cat", "/stamp"])).not.toBe(before);
    // A mode change counts too.
    const { chmodSync } = await import("node:fs");
    chmodSync(join(dir, "static.txt"), 0o600);
    const mode = await env.ok(["build", dir]);
    expect(cachedSteps(mode)).toBe(2);
    chmodSync(join(dir, "static.txt"), 0o644);
    expect(cachedSteps(await env.ok(["build", dir]))).toBe(6);
  });

  test("a different --build-arg rebuilds from the RUN that sees it", async () => {
    const out = await env.ok(["build", "--build-arg", "FLAVOUR=spicy", "-t", "cached:spicy", dir]);
    // ARG's own step records the default, ENV and COPYs do not use the value: cached; RUN is rebuilt.
    expect(out.split("\n").filter((l) => l.startsWith(" ---> Running in")).length).toBe(1);
    expect(await env.ok(["run", "--rm", "cached:spicy", "cat", "/flavour"])).toBe("spicy\n");
    const again = await env.ok(["build", "--build-arg", "FLAVOUR=spicy", dir]);
    expect(cachedSteps(again)).toBe(6);
  });

  test("--no-cache rebuilds every step; the new image then feeds the cache", async () => {
    const out = await env.ok(["build", "--no-cache", "-t", "cached:fresh", dir]);
    expect(cachedSteps(out)).toBe(0);
    expect(out).toContain("Running in");
    const previous = JSON.parse(await env.ok(["image", "inspect", "cached:3"]))[0].Id as string;
    expect(builtId(out)).not.toBe(previous.slice(7, 19));
    const next = await env.ok(["build", dir]);
    expect(cachedSteps(next)).toBe(6);
    expect(builtId(next)).toBe(builtId(out));
  });

  test("a removed image is not served from the cache", async () => {
    const d = join(env.base, "work", "ctx-rm");
    mkdirSync(d, { recursive: true });
    writeFileSync(join(d, "Dockerfile"), "FROM busybox\nRUN echo once > /once\n");
    const first = await env.ok(["build", "-t", "gone:1", d]);
    await env.ok(["rmi", "gone:1"]);
    const second = await env.ok(["build", "-t", "gone:1", d]);
    expect(cachedSteps(second)).toBe(0);
    expect(builtId(second)).not.toBe(builtId(first));
  });
});
