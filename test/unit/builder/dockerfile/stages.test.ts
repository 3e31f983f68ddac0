import { describe, expect, test } from "vitest";
import { InvalidArgumentError } from "../../../../src/errors.js";
import { parseDockerfile } from "../../../../src/builder/dockerfile/parse.js";
import { planStages, type PlanOptions, type StagePlan } from "../../../../src/builder/dockerfile/stages.js";

const plan = (text: string, opts: PlanOptions = {}) => planStages(parseDockerfile(text), opts);
const labels = (p: StagePlan) => ({
  needed: p.needed.map((s) => s.label),
  levels: p.levels.map((l) => l.map((s) => s.label)),
});

describe("splitting into stages", () => {
  test("a single stage", () => {
    const p = plan("FROM alpine:3.19\nRUN echo hi\nCMD [\"sh\"]");
    expect(p.stages).toHaveLength(1);
    expect(p.target).toMatchObject({ index: 0, label: "stage-0", base: { kind: "image", ref: "alpine:3.19" } });
    expect(p.target.instructions.map((i) => i.keyword)).toEqual(["RUN", "CMD"]);
    expect(labels(p)).toEqual({ needed: ["stage-0"], levels: [["stage-0"]] });
  });

  test("the multi-stage example: build, then copy the binary into scratch", () => {
    const p = plan(`# syntax=docker/dockerfile:1
FROM golang:1.21 AS build
WORKDIR /src
COPY <<EOF ./main.go
package main
func main() {}
EOF
RUN go build -o /bin/hello ./main.go

FROM scratch
COPY --from=build /bin/hello /bin/hello
CMD ["/bin/hello"]
`);
    expect(p.stages.map((s) => [s.label, s.base, s.dependsOn])).toEqual([
      ["build", { kind: "image", ref: "golang:1.21" }, []],
      ["stage-1", { kind: "scratch" }, [0]],
    ]);
    expect(labels(p)).toEqual({ needed: ["build", "stage-1"], levels: [["build"], ["stage-1"]] });
  });

  test("instructions other than ARG before the first FROM", () => {
    expect(() => plan("ARG A\n\nRUN x\nFROM a")).toThrow("Dockerfile:3: no build stage in current context");
    expect(() => plan("ARG A")).toThrow("Dockerfile: dockerfile contains no stages to build");
  });

  test("a repeated stage name is a warning; the later one is used", () => {
    const p = plan("FROM a AS x\nFROM b AS x\nFROM x\n");
    expect(p.warnings).toEqual([{ message: 'Duplicate stage name "x", stage names should be unique', line: 2 }]);
    expect(p.stages[2]!.base).toEqual({ kind: "stage", index: 1 });
  });
});

describe("what FROM names", () => {
  test("an earlier stage (names are case-insensitive), scratch, or an image", () => {
    const p = plan("FROM alpine AS Builder\nFROM builder\nFROM BUILDER AS two\nFROM scratch\nFROM two");
    expect(p.stages.map((s) => s.base)).toEqual([
      { kind: "image", ref: "alpine" },
      { kind: "stage", index: 0 },
      { kind: "stage", index: 0 },
      { kind: "scratch" },
      { kind: "stage", index: 2 },
    ]);
  });

  test("a stage defined later is not visible: the name is an image", () => {
    expect(plan("FROM later AS first\nFROM alpine AS later\n").stages[0]!.base).toEqual({ kind: "image", ref: "later" });
  });

  test("global ARGs expand in FROM, and --build-arg overrides them", () => {
    const text = "ARG VERSION=3.19\nARG IMAGE=alpine:${VERSION}\nFROM ${IMAGE} AS base\nFROM base\nARG VERSION\n";
    expect(plan(text).stages[0]!.base).toEqual({ kind: "image", ref: "alpine:3.19" });
    expect(plan(text, { buildArgs: { VERSION: "edge" } }).stages[0]!.base).toEqual({ kind: "image", ref: "alpine:edge" });
    expect(plan(text, { buildArgs: { IMAGE: "debian" } }).stages[0]!.base).toEqual({ kind: "image", ref: "debian" });
  });

  test("an ARG declared inside a stage does not reach a later FROM", () => {
    expect(plan("FROM a\nARG TAG=1\nFROM b:${TAG:-none}").stages[1]!.base).toEqual({ kind: "image", ref: "b:none" });
  });

  test("an expression that expands to a stage name selects the stage", () => {
    const text = "ARG VARIANT=slim\nFROM alpine AS base-slim\nFROM debian AS base-full\nFROM base-${VARIANT}\n";
    expect(plan(text).target.base).toEqual({ kind: "stage", index: 0 });
    expect(plan(text, { buildArgs: { VARIANT: "full" } }).target.base).toEqual({ kind: "stage", index: 1 });
    expect(labels(plan(text))).toEqual({ needed: ["base-slim", "stage-2"], levels: [["base-slim"], ["stage-2"]] });
  });

  test("--platform expands with global ARGs", () => {
    const p = plan("FROM --platform=$TARGETPLATFORM a\nFROM --platform=linux/${BUILDARCH} b", {
      buildPlatform: { os: "linux", architecture: "amd64" },
      targetPlatform: { os: "linux", architecture: "arm64" },
    });
    expect(p.stages.map((s) => s.platform)).toEqual(["linux/arm64", "linux/amd64"]);
  });

  test("errors", () => {
    expect(() => plan("ARG A\nFROM ${NOPE}")).toThrow("Dockerfile:2: base name (${NOPE}) should not be blank");
    expect(() => plan("FROM --platform=${NOPE} a")).toThrow("Dockerfile:1: empty platform value from expression ${NOPE}");
    expect(() => plan("ARG A=${B:?required}\nFROM a")).toThrow('Dockerfile:1: failed to process "${B:?required}": B: required');
  });
});

describe("dependencies between stages", () => {
  test("independent stages form one wave; unused stages are skipped", () => {
    const p = plan("FROM alpine AS a\nFROM alpine AS b\nFROM alpine AS unused\nFROM scratch\nCOPY --from=a / /a\nCOPY --from=b / /b\n");
    expect(labels(p)).toEqual({ needed: ["a", "b", "stage-3"], levels: [["a", "b"], ["stage-3"]] });
    expect(p.target.dependsOn).toEqual([0, 1]);
  });

  test("a diamond", () => {
    const p = plan("FROM x AS base\nFROM base AS left\nFROM base AS right\nFROM scratch\nCOPY --from=left a b\nCOPY --from=right a b\n");
    expect(labels(p).levels).toEqual([["base"], ["left", "right"], ["stage-3"]]);
  });

  test("COPY --from by index, by case-insensitive name, or an image", () => {
    const p = plan("FROM a AS One\nFROM b\nCOPY --from=0 x y\nCOPY --from=ONE x y\nCOPY --from=nginx:latest /etc/nginx /n\n");
    expect(p.target.dependsOn).toEqual([0]);
    expect(p.target.images).toEqual(["nginx:latest"]);
  });

  test("RUN --mount from a stage or an image", () => {
    const p = plan("FROM a AS deps\nFROM b\nRUN --mount=from=deps,target=/d --mount=type=bind,from=busybox,source=/bin,target=/bb --mount=type=cache,target=/c make\n");
    expect(p.target.dependsOn).toEqual([0]);
    expect(p.target.images).toEqual(["busybox"]);
  });

  test("--target picks the stage and what it needs", () => {
    const text = "FROM a AS base\nFROM base AS test\nRUN make test\nFROM base AS release\nRUN make\n";
    expect(labels(plan(text, { target: "test" }))).toEqual({ needed: ["base", "test"], levels: [["base"], ["test"]] });
    expect(plan(text, { target: "TEST" }).target.label).toBe("test");
    expect(plan(text).target.label).toBe("release");
  });

  test("an unknown --target suggests a close name", () => {
    const text = "FROM a AS build\nFROM b AS release\n";
    expect(() => plan(text, { target: "buidl" })).toThrow(InvalidArgumentError);
    expect(() => plan(text, { target: "buidl" })).toThrow('target stage "buidl" could not be found (did you mean build?)');
    expect(() => plan(text, { target: "zzz" })).toThrow('target stage "zzz" could not be found');
  });

  test("COPY --from a stage defined later is refused when that stage is built", () => {
    const text = "FROM a AS first\nCOPY --from=later x y\nFROM b AS later\nFROM c AS other\n";
    expect(() => plan(text, { target: "first" })).toThrow('Dockerfile:2: cannot copy from stage "later", it needs to be defined before current stage "first"');
    expect(labels(plan(text, { target: "other" })).needed).toEqual(["other"]);
  });

  test("a stage that copies from itself is a cycle", () => {
    expect(() => plan("FROM a AS x\nRUN true\nCOPY --from=x a b")).toThrow("Dockerfile:3: circular dependency detected on stage: x");
    expect(() => plan("FROM a AS first\nCOPY --from=1 x y\nFROM first\n")).toThrow("circular dependency detected on stage: first");
  });

  test("a bad stage index", () => {
    expect(() => plan("FROM a\nFROM b\n\nCOPY --from=5 x y")).toThrow("Dockerfile:4: invalid stage index 5");
    expect(() => plan("FROM a\nCOPY --from=-1 x y")).toThrow("invalid stage index -1");
  });

  test("COPY --from cannot use variables", () => {
    expect(() => plan("ARG S=a\nFROM a AS x\nFROM b\nCOPY --from=${S} x y")).toThrow(
      "Dockerfile:4: variable expansion is not supported for --from, define a new stage with FROM using ARG from global scope as a workaround",
    );
  });
});

describe("ONBUILD in a parent stage", () => {
  test("the child runs the parent's triggers first, and their stage references count", () => {
    const p = plan("FROM a AS assets\nFROM b AS base\nONBUILD COPY --from=assets /x /x\nONBUILD RUN make\nFROM base\nRUN test\n");
    const child = p.target;
    expect(child.triggers.map((t) => t.keyword)).toEqual(["COPY", "RUN"]);
    expect(child.dependsOn).toEqual([0, 1]);
    // The triggers do not run in the stage that declares them.
    expect(p.stages[1]!.triggers).toEqual([]);
    expect(p.stages[1]!.dependsOn).toEqual([]);
  });
});

describe("build arguments", () => {
  test("the global scope: platform ARGs, then ARGs before the first FROM", () => {
    const p = plan("ARG A=1\nARG B=${A}2 C\nFROM x", { buildArgs: { C: "c" } });
    expect(Object.fromEntries(p.globalArgs)).toMatchObject({ A: "1", B: "12", C: "c", TARGETOS: "linux", BUILDPLATFORM: "linux/amd64" });
  });

  test("unused --build-arg names, for Docker's warning", () => {
    const text = "ARG GLOBAL\nFROM a AS skipped\nARG ONLY_IN_SKIPPED\nFROM b\nARG USED\n";
    const p = plan(text, {
      buildArgs: { GLOBAL: "1", USED: "1", ONLY_IN_SKIPPED: "1", FOO: "1", BAR: "2", HTTP_PROXY: "x", https_proxy: "y", TARGETARCH: "arm64", BUILDKIT_INLINE_CACHE: "1" },
    });
    expect(p.unusedBuildArgs).toEqual(["BAR", "FOO", "ONLY_IN_SKIPPED"]);
    expect(plan(text, { target: "skipped", buildArgs: { ONLY_IN_SKIPPED: "1", USED: "1" } }).unusedBuildArgs).toEqual(["USED"]);
  });

  test("ARGs in inherited ONBUILD triggers count as used", () => {
    expect(plan("FROM a AS base\nONBUILD ARG V\nFROM base", { buildArgs: { V: "1" } }).unusedBuildArgs).toEqual([]);
  });

  test("buildArgs may be a Map", () => {
    expect(plan("FROM a", { buildArgs: new Map([["X", "1"]]) }).unusedBuildArgs).toEqual(["X"]);
  });
});
