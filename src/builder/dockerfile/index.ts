// The Dockerfile front end of the builder: text in, instructions, stages and
// per-step variables out. Pure logic, no I/O.
//
//   const parsed = parseDockerfile(text, { fileName: "Dockerfile" });
//   const plan = planStages(parsed, { target, buildArgs, buildPlatform, targetPlatform });
//   for (const wave of plan.levels)            // stages of a wave can build at once
//     for (const stage of wave) {
//       const scope = stage.base.kind === "stage"
//         ? StageScope.fromStage(scopeOf[stage.base.index])
//         : StageScope.fromImage(baseConfig.Env, plan);   // a StagePlan is a ScopeOptions
//       for (const ins of [...parseTriggers(baseConfig.OnBuild ?? []), ...stage.triggers, ...stage.instructions]) {
//         const step = scope.step(ins);         // variables expanded, ARG/ENV applied
//         ...                                   // RUN: runScript(step), scope.runEnv(), step.runMounts
//       }
//     }
//   if (plan.unusedBuildArgs.length) warn(`[Warning] One or more build-args [${plan.unusedBuildArgs.join(" ")}] were not consumed`);

export { parseDockerfile, type ParseOptions } from "./parse.js";
export { parseTriggers } from "./triggers.js";
export { planStages, type PlanOptions, type Stage, type StageBase, type StagePlan } from "./stages.js";
export { StageScope, DEFAULT_PATH, resolveWorkdir, type ArgValue, type ScopeOptions } from "./scope.js";
export { expandInstruction, type Expanded } from "./expand.js";
export { expandString, expandWords, lex, type Env, type Expansion, type LexOptions } from "./shell.js";
export { parseMount, type RunMount, type MountType, type CacheSharing } from "./mount.js";
export { chompHeredoc } from "./heredoc.js";
export { exposedPorts } from "./ports.js";
export { runScript, type RunScript } from "./run-script.js";
export { platformString, type PlatformSpec } from "./build-args.js";
export { DockerfileError } from "./errors.js";
export type * from "./types.js";
