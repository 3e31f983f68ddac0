import { InvalidArgumentError } from "../../errors.js";
import { globalScope, platformArgs, unusedBuildArgs, type PlatformSpec } from "./build-args.js";
import { DockerfileError, locate } from "./errors.js";
import { linkStages, type Dependency } from "./graph.js";
import { expandString } from "./shell.js";
import { withSuggestion } from "./suggest.js";
import type { ArgInstruction, EscapeToken, Instruction, ParsedDockerfile, ParseWarning, Stage, StageBase } from "./types.js";

export type { Stage, StageBase } from "./types.js";

// Multi-stage builds: a stage runs from one FROM to the next. FROM lines see
// only the global scope (automatic platform ARGs and ARGs declared before the
// first FROM). A stage can build on an earlier stage (`FROM build`) and read
// from one (`COPY --from=build`, `RUN --mount=from=build`); only the stages
// the target needs are built, and stages that do not need each other can be
// built at the same time.
// https://docs.docker.com/build/building/multi-stage/

export interface PlanOptions {
  /** The stage to build (`--target`); the last one when not given. */
  target?: string;
  buildArgs?: ReadonlyMap<string, string> | Record<string, string>;
  /** The platform doing the build. */
  buildPlatform?: PlatformSpec;
  /** The platform being built for; the build platform when not given. */
  targetPlatform?: PlatformSpec;
}

export interface StagePlan {
  fileName: string;
  escape: EscapeToken;
  stages: Stage[];
  target: Stage;
  /** The stages the target needs, itself included, in file order (a valid build order). */
  needed: Stage[];
  /** The needed stages in waves: each stage depends only on stages of earlier waves. */
  levels: Stage[][];
  /** Values of the global scope, for FROM lines and for `ARG name` inside a stage. */
  globalArgs: Map<string, string>;
  buildArgs: Map<string, string>;
  /** --build-arg names no ARG declared (Docker warns about them). */
  unusedBuildArgs: string[];
  warnings: ParseWarning[];
}

const DEFAULT_PLATFORM: PlatformSpec = { os: "linux", architecture: "amd64" };

export function planStages(parsed: ParsedDockerfile, opts: PlanOptions = {}): StagePlan {
  const { fileName: file, escape } = parsed;
  const buildArgs = opts.buildArgs instanceof Map ? new Map(opts.buildArgs) : new Map(Object.entries(opts.buildArgs ?? {}));
  const metaArgs: ArgInstruction[] = [];
  const stages: Stage[] = [];
  const warnings: ParseWarning[] = [];

  for (const ins of parsed.instructions) {
    if (ins.keyword === "FROM") {
      const index = stages.length;
      if (ins.stageName && stages.some((s) => s.name === ins.stageName))
        warnings.push({ message: `Duplicate stage name ${JSON.stringify(ins.stageName)}, stage names should be unique`, line: ins.startLine });
      stages.push({
        index, name: ins.stageName, label: ins.stageName ?? `stage-${index}`, from: ins, base: { kind: "scratch" },
        triggers: [], instructions: [], dependsOn: [], images: [],
      });
    } else if (stages.length > 0) stages.at(-1)!.instructions.push(ins);
    else if (ins.keyword === "ARG") metaArgs.push(ins);
    else throw new DockerfileError("no build stage in current context", { file, line: ins.startLine, endLine: ins.endLine, instruction: ins.keyword });
  }
  if (stages.length === 0) throw new DockerfileError("dockerfile contains no stages to build", { file, line: 0 });

  const build = opts.buildPlatform ?? DEFAULT_PLATFORM;
  const globals = globalScope(metaArgs, platformArgs(build, opts.targetPlatform ?? build, buildArgs), buildArgs, escape, file);

  for (const stage of stages) resolveBase(stage, stages, globals, escape, file);
  const deps = linkStages(stages, file, escape);

  const target = findTarget(stages, opts.target);
  const needed = neededStages(target, deps, file);
  const declared = new Set<string>();
  for (const ins of [...metaArgs, ...needed.flatMap((s) => [...s.triggers, ...s.instructions])])
    if (ins.keyword === "ARG") for (const d of ins.definitions) declared.add(d.name);

  return {
    fileName: file, escape, stages, target, needed, levels: waves(needed), globalArgs: globals, buildArgs,
    unusedBuildArgs: unusedBuildArgs(buildArgs, declared), warnings,
  };
}

/** Expand FROM with the global scope and decide what it names: an earlier stage, scratch, or an image. */
function resolveBase(stage: Stage, stages: Stage[], globals: Map<string, string>, escape: EscapeToken, file: string): void {
  const from = stage.from;
  const at = { file, line: from.startLine, endLine: from.endLine, instruction: "FROM" };
  try {
    const image = expandString(from.image, globals, { escape });
    if (image === "") throw new DockerfileError(`base name (${from.image}) should not be blank`, at);
    if (from.platform !== undefined) {
      stage.platform = expandString(from.platform, globals, { escape });
      if (stage.platform === "") throw new DockerfileError(`empty platform value from expression ${from.platform}`, at);
    }
    // The latest earlier stage of that name; a later one is not visible yet.
    const parent = stages.slice(0, stage.index).reverse().find((s) => s.name !== undefined && s.name === image.toLowerCase());
    if (parent) {
      stage.base = { kind: "stage", index: parent.index };
      // The parent's ONBUILD triggers run at the start of this stage.
      stage.triggers = parent.instructions.flatMap((i) => (i.keyword === "ONBUILD" ? [i.trigger] : []));
    } else stage.base = image === "scratch" ? { kind: "scratch" } : { kind: "image", ref: image };
  } catch (err) {
    locate(err, at);
  }
}

function findTarget(stages: Stage[], target: string | undefined): Stage {
  if (!target) return stages.at(-1)!;
  const name = target.toLowerCase();
  const found = [...stages].reverse().find((s) => s.name === name);
  if (!found) {
    const names = stages.flatMap((s) => (s.name ? [s.name] : []));
    throw new InvalidArgumentError(
      withSuggestion(`target stage ${JSON.stringify(target)} could not be found`, target, names, true),
      names.length ? `stages: ${names.join(", ")}` : "this Dockerfile has no named stages (FROM image AS name)",
    );
  }
  return found;
}

/** The target and everything it needs. A stage can only use stages defined before it. */
function neededStages(target: Stage, deps: Map<number, Dependency[]>, file: string): Stage[] {
  const seen = new Set<number>();
  const stagesByIndex = new Map<number, Stage>();
  const visit = (stage: Stage) => {
    if (seen.has(stage.index)) return;
    seen.add(stage.index);
    stagesByIndex.set(stage.index, stage);
    for (const dep of deps.get(stage.index) ?? []) {
      if (dep.stage.index > stage.index)
        throw new DockerfileError(
          `cannot copy from stage ${JSON.stringify(dep.ref)}, it needs to be defined before current stage ${JSON.stringify(stage.label)}`,
          { file, line: dep.instruction.startLine, endLine: dep.instruction.endLine, instruction: dep.instruction.keyword },
        );
      visit(dep.stage);
    }
  };
  visit(target);
  return [...stagesByIndex.values()].sort((a, b) => a.index - b.index);
}

/** Group stages into waves: a stage's wave is one past the latest wave of what it depends on. */
function waves(needed: Stage[]): Stage[][] {
  const level = new Map<number, number>();
  const out: Stage[][] = [];
  for (const stage of needed) {
    const l = Math.max(-1, ...stage.dependsOn.map((d) => level.get(d) ?? -1)) + 1;
    level.set(stage.index, l);
    (out[l] ??= []).push(stage);
  }
  return out;
}
