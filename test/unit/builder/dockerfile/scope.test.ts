import { describe, expect, test } from "vitest";
import { parseDockerfile } from "../../../../src/builder/dockerfile/parse.js";
import { DEFAULT_PATH, resolveWorkdir, StageScope } from "../../../../src/builder/dockerfile/scope.js";
import { planStages, type PlanOptions } from "../../../../src/builder/dockerfile/stages.js";
import type { Expanded } from "../../../../src/builder/dockerfile/expand.js";

// Variables step by step, the way the builder walks a Dockerfile: plan the
// stages, then give every instruction of every needed stage to its scope.
// Many cases are the examples of the Dockerfile reference.

interface Walk {
  steps: Map<string, Expanded[]>;
  scopes: Map<string, StageScope>;
}

function walk(text: string, opts: PlanOptions = {}, baseEnv: Record<string, string[]> = {}): Walk {
  const plan = planStages(parseDockerfile(text), opts);
  const steps = new Map<string, Expanded[]>();
  const scopes = new Map<string, StageScope>();
  for (const stage of plan.needed) {
    const scope =
      stage.base.kind === "stage"
        ? StageScope.fromStage(scopes.get(plan.stages[stage.base.index]!.label)!)
        : StageScope.fromImage(baseEnv[stage.label], plan);
    steps.set(stage.label, [...stage.triggers, ...stage.instructions].map((ins) => scope.step(ins)));
    scopes.set(stage.label, scope);
  }
  return { steps, scopes };
}

/** The steps of the (only or last) stage. */
const last = (w: Walk) => [...w.steps.values()].at(-1)!;
const envOf = (w: Walk) => Object.fromEntries([...w.scopes.values()].at(-1)!.env);

describe("ARG scope (Dockerfile reference examples)", () => {
  test("an ARG counts from its line on", () => {
    const text = "FROM busybox\nUSER ${username:-some_user}\nARG username\nUSER $username\n";
    const w = walk(text, { buildArgs: { username: "what_user" } });
    expect(last(w).filter((s) => s.keyword === "USER").map((s) => s.keyword === "USER" && s.user)).toEqual(["some_user", "what_user"]);
  });

  test("an ENV after the ARG wins over the --build-arg", () => {
    const w = walk("FROM ubuntu\nARG CONT_IMG_VER\nENV CONT_IMG_VER=v1.0.0\nRUN echo $CONT_IMG_VER\n", { buildArgs: { CONT_IMG_VER: "v2.0.1" } });
    expect(envOf(w).CONT_IMG_VER).toBe("v1.0.0");
    // RUN is not expanded by the builder: the shell sees $CONT_IMG_VER.
    expect(last(w)[2]).toMatchObject({ keyword: "RUN", command: ["echo $CONT_IMG_VER"] });
  });

  test("ENV with an ARG default: the build-arg when given, else the fallback", () => {
    const text = "FROM ubuntu\nARG CONT_IMG_VER\nENV CONT_IMG_VER=${CONT_IMG_VER:-v1.0.0}\n";
    expect(envOf(walk(text)).CONT_IMG_VER).toBe("v1.0.0");
    expect(envOf(walk(text, { buildArgs: { CONT_IMG_VER: "v2.0.1" } })).CONT_IMG_VER).toBe("v2.0.1");
  });

  test("a global ARG is out of scope in a stage until declared again there", () => {
    const text = 'ARG NAME="joe"\nFROM alpine\nRUN echo "hello ${NAME}!"\nENV BEFORE=${NAME:-none}\nARG NAME\nENV AFTER=$NAME\n';
    expect(envOf(walk(text))).toMatchObject({ BEFORE: "none", AFTER: "joe", NAME: "joe" });
    expect(envOf(walk(text, { buildArgs: { NAME: "bob" } }))).toMatchObject({ AFTER: "bob" });
  });

  test("a global ARG without a value imported into a stage stays unset", () => {
    expect(envOf(walk("ARG V\nFROM a\nARG V\nENV X=${V-unset}"))).toMatchObject({ X: "unset" });
    expect(envOf(walk("ARG V\nFROM a\nARG V\nENV X=${V-unset}", { buildArgs: { V: "1" } }))).toMatchObject({ X: "1" });
  });

  test("a stage-local default wins over the global value", () => {
    expect(envOf(walk("ARG V=global\nFROM a\nARG V=local\nENV X=$V"))).toMatchObject({ X: "local" });
  });

  test("ARG defaults see earlier ARGs, one definition at a time", () => {
    expect(envOf(walk("FROM a\nARG A=1 B=${A}2\nARG C=$B$B"))).toMatchObject({ A: "1", B: "12", C: "1212" });
  });

  test("an ARG declared without any value does not exist", () => {
    const w = walk("FROM a\nARG NOPE\nENV X=${NOPE-unset} Y=${NOPE:-empty}");
    expect(envOf(w)).toMatchObject({ X: "unset", Y: "empty" });
    expect("NOPE" in envOf(w)).toBe(false);
  });

  test("an ARG after an ENV of the same name wins for the build, not for the image", () => {
    const w = walk("FROM a\nENV X=from-env\nARG X=from-arg\n");
    const scope = [...w.scopes.values()][0]!;
    expect(scope.env.get("X")).toBe("from-arg");
    expect(scope.imageEnv.get("X")).toBe("from-env");
  });

  test("an ARG with a --build-arg overrides the base image's ENV for the build", () => {
    const text = "FROM parent\nARG HELLO\nENV SEEN=$HELLO\n";
    const base = { "stage-0": ["HELLO=World", "PATH=/bin"] };
    expect(envOf(walk(text, { buildArgs: { HELLO: "child" } }, base))).toMatchObject({ HELLO: "child", SEEN: "child", PATH: "/bin" });
    expect(envOf(walk(text, {}, base))).toMatchObject({ HELLO: "World", SEEN: "World" });
  });
});

describe("automatic platform ARGs", () => {
  const build = { os: "linux", architecture: "amd64" };
  const target = { os: "linux", architecture: "arm", variant: "v7" };

  test("usable in FROM lines; inside a stage only once declared", () => {
    const text = "FROM --platform=$BUILDPLATFORM golang AS build\nENV BEFORE=${TARGETARCH:-none}\nARG TARGETOS TARGETARCH TARGETVARIANT TARGETPLATFORM BUILDARCH\nRUN go build";
    const plan = planStages(parseDockerfile(text), { buildPlatform: build, targetPlatform: target });
    expect(plan.stages[0]!.platform).toBe("linux/amd64");
    const w = walk(text, { buildPlatform: build, targetPlatform: target });
    expect(envOf(w)).toMatchObject({
      BEFORE: "none", TARGETOS: "linux", TARGETARCH: "arm", TARGETVARIANT: "v7", TARGETPLATFORM: "linux/arm/v7", BUILDARCH: "amd64",
    });
  });

  test("the target platform defaults to the build platform; a --build-arg can override one", () => {
    const w = walk("FROM a\nARG TARGETPLATFORM BUILDVARIANT", { buildPlatform: { os: "linux", architecture: "arm64", variant: "v8" }, buildArgs: { BUILDVARIANT: "x" } });
    expect(envOf(w)).toMatchObject({ TARGETPLATFORM: "linux/arm64/v8", BUILDVARIANT: "x" });
  });
});

describe("inheritance between stages", () => {
  test("a stage built on another inherits its ARG values and ENV", () => {
    const text = 'FROM alpine AS base\nARG NAME="joe"\nENV LOCAL_ENV=true\nFROM base AS build\nENV GREETING="hello $NAME" E=$LOCAL_ENV\n';
    expect(envOf(walk(text))).toMatchObject({ NAME: "joe", GREETING: "hello joe", E: "true" });
  });

  test("ARGs carry over into the child's RUN history prefix", () => {
    const w = walk("FROM a AS base\nARG A=1\nARG B\nFROM base\nARG C=3\n");
    expect(w.scopes.get("stage-1")!.historyPrefix()).toEqual(["|3", "A=1", "B=", "C=3"]);
    expect(w.scopes.get("base")!.historyPrefix()).toEqual(["|2", "A=1", "B="]);
  });
});

describe("ENV", () => {
  test("all pairs of one ENV see the values from before it", () => {
    expect(envOf(walk("FROM a\nENV abc=hello\nENV abc=bye def=$abc\nENV ghi=$abc\n"))).toMatchObject({ abc: "bye", def: "hello", ghi: "bye" });
  });

  test("quotes and escapes in values", () => {
    const text = 'FROM a\nENV A="value value1" B=value\\ value2 C="a\\"b" D=\'a\\"b\' E="\'\'" F="x\'q s\'y"\nENV G legacy "quoted" value';
    expect(envOf(walk(text))).toMatchObject({ A: "value value1", B: "value value2", C: 'a"b', D: 'a\\"b', E: "''", F: "x'q s'y", G: 'legacy quoted value' });
  });

  test("keys can come from variables too", () => {
    expect(envOf(walk("FROM a\nARG K=NAME\nENV $K=v"))).toMatchObject({ NAME: "v" });
  });

  test("PATH is always there; an image's own PATH is kept", () => {
    expect(envOf(walk("FROM scratch\nENV P=$PATH")).P).toBe(DEFAULT_PATH);
    expect(envOf(walk("FROM img\nENV P=$PATH", {}, { "stage-0": ["PATH=/opt/bin"] })).P).toBe("/opt/bin");
  });
});

describe("what each instruction expands", () => {
  const steps = (body: string, opts: PlanOptions = {}) => last(walk(`FROM a\nENV FOO=/bar PORTS="80/tcp 443" F="a b"\n${body}`, opts)).slice(1);

  test("WORKDIR, ADD and COPY (Dockerfile reference example)", () => {
    expect(steps("WORKDIR ${FOO}\nADD . $FOO\nCOPY \\$FOO /quux")).toMatchObject([
      { keyword: "WORKDIR", path: "/bar" },
      { keyword: "ADD", sources: ["."], dest: "/bar" },
      { keyword: "COPY", sources: ["$FOO"], dest: "/quux" },
    ]);
  });

  test("a COPY source with spaces from a variable stays one path", () => {
    expect(steps("COPY $F ${FOO}/x /d/")[0]).toMatchObject({ sources: ["a b", "/bar/x"], dest: "/d/" });
  });

  test("COPY/ADD flags --chown, --chmod and --checksum expand; --from may not", () => {
    expect(steps("ARG U=app\nCOPY --chown=$U:$U --chmod=${M:-644} x /y\nADD --checksum=$FOO u /v")).toMatchObject([
      { keyword: "ARG" },
      { chown: "app:app", chmod: "644" },
      { checksum: "/bar" },
    ]);
  });

  test("EXPOSE splits a variable into ports", () => {
    expect(steps("EXPOSE $PORTS 53/udp")[0]).toMatchObject({ ports: ["80/tcp", "443/tcp", "53/udp"] });
  });

  test("LABEL, USER, STOPSIGNAL, VOLUME", () => {
    expect(steps('LABEL version=$FOO "my key"="x y"\nUSER ${U:-nobody}:$FOO\nSTOPSIGNAL ${S:-SIGQUIT}\nVOLUME ["$FOO", "/v"]')).toMatchObject([
      { pairs: [{ key: "version", value: "/bar" }, { key: "my key", value: "x y" }] },
      { user: "nobody:/bar" },
      { signal: "SIGQUIT" },
      { volumes: ["/bar", "/v"] },
    ]);
  });

  test("RUN, CMD, ENTRYPOINT, SHELL, HEALTHCHECK and ONBUILD are left alone", () => {
    expect(steps('RUN echo $FOO\nCMD ["$FOO"]\nENTRYPOINT $FOO\nSHELL ["$FOO"]\nHEALTHCHECK CMD $FOO\nONBUILD COPY $FOO /x')).toMatchObject([
      { command: ["echo $FOO"] },
      { command: ["$FOO"] },
      { command: ["$FOO"] },
      { shell: ["$FOO"] },
      { test: ["CMD-SHELL", "$FOO"] },
      { expression: "COPY $FOO /x" },
    ]);
  });

  test("RUN --mount values expand", () => {
    const [, run] = steps("ARG CACHE=/cache\nRUN --mount=type=cache,target=$CACHE,id=${CACHE}-go,sharing=locked go build");
    expect(run).toMatchObject({ runMounts: [{ type: "cache", target: "/cache", id: "/cache-go", sharing: "locked", readOnly: false }] });
  });

  test("heredoc files expand unless the delimiter is quoted; quotes in the body are text", () => {
    expect(steps('COPY <<EOF /f\nat $FOO "q" \\$x\nEOF\nCOPY <<"EOF" /g\nat $FOO\nEOF')).toMatchObject([
      { inline: [{ data: 'at /bar "q" $x\n' }] },
      { inline: [{ data: "at $FOO\n" }] },
    ]);
  });

  test("the backtick escape directive applies to expansion", () => {
    const w = walk("# escape=`\nFROM a\nENV D=data\nWORKDIR C:\\$D\nWORKDIR C:\\`$D");
    expect(last(w).slice(1)).toMatchObject([{ path: "C:\\data" }, { path: "C:\\$D" }]);
  });
});

describe("errors name the instruction's line", () => {
  test("a required variable", () => {
    expect(() => walk("FROM a\n\nENV A=${NOPE:?required}")).toThrow('Dockerfile:3: failed to process "${NOPE:?required}": NOPE: required');
    // White space splits ENV words before expansion, as in Docker.
    expect(() => walk("FROM a\nENV A=${NOPE:?must be set}")).toThrow(`Dockerfile:2: Syntax error - can't find = in "be"`);
  });

  test("a bad substitution in COPY", () => {
    expect(() => walk("FROM a\nCOPY ${} /x")).toThrow("Dockerfile:2: failed to process");
  });

  test("COPY --from with a variable", () => {
    expect(() => walk("FROM a\nCOPY --from=$X a /b")).toThrow("Dockerfile:2: variable expansion is not supported for --from");
  });

  test("a VOLUME that expands to nothing", () => {
    expect(() => walk("FROM a\nVOLUME $NOPE")).toThrow("Dockerfile:2: VOLUME specified can not be an empty string");
  });
});

describe("RUN environment", () => {
  test("proxy build arguments reach RUN without an ARG, in both spellings, but not expansion", () => {
    const w = walk("FROM a\nENV X=${HTTP_PROXY:-none}", { buildArgs: { HTTP_PROXY: "http://proxy:3128", no_proxy: "localhost" } });
    const scope = [...w.scopes.values()][0]!;
    expect(envOf(w).X).toBe("none");
    expect(Object.fromEntries(scope.runEnv())).toMatchObject({
      HTTP_PROXY: "http://proxy:3128",
      http_proxy: "http://proxy:3128",
      NO_PROXY: "localhost",
      no_proxy: "localhost",
    });
  });
});

describe("resolveWorkdir", () => {
  test.each([
    [undefined, "/app", "/app"],
    ["/app", "src", "/app/src"],
    ["/app", "../lib/./x/", "/lib/x"],
    [undefined, "rel", "/rel"],
    ["/a", "/", "/"],
  ])("%s + %s", (prev, path, want) => expect(resolveWorkdir(prev, path)).toBe(want));
});
