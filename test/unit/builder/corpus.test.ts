import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, test } from "vitest";
import { parseDockerfile } from "../../../src/builder/dockerfile/parse.js";
import { runScript } from "../../../src/builder/dockerfile/run-script.js";
import { StageScope } from "../../../src/builder/dockerfile/scope.js";
import { planStages, type PlanOptions } from "../../../src/builder/dockerfile/stages.js";
import type { Instruction } from "../../../src/builder/dockerfile/types.js";

// Whole Dockerfiles, read end to end: parse, plan the stages, walk every step
// with its scope, and compare a plain-text account of all of it with the
// reviewed `.expected` file next to the Dockerfile. After a deliberate change,
// regenerate with UPDATE_CORPUS=1 and read the diff before committing it.

const DIR = join(import.meta.dirname, "corpus");

const CASES: Record<string, PlanOptions> = {
  "go-multistage": {
    buildArgs: { VERSION: "1.2.3", UNUSED: "x", HTTPS_PROXY: "http://proxy:3128" },
    buildPlatform: { os: "linux", architecture: "amd64" },
    targetPlatform: { os: "linux", architecture: "arm64" },
  },
  "node-app": {},
  heredocs: { buildArgs: { USER: "ignored-by-copy" } },
  "windows-escape": {},
  "edge-cases": { buildArgs: { TAG: "1.36", UID: "0" } },
};

/** Instruction fields that every instruction has; the account shows only the others. */
const COMMON = new Set(["keyword", "flags", "args", "startLine", "endLine", "original", "source", "heredocs", "comments", "trigger"]);

function fields(ins: object): string {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(ins)) {
    if (COMMON.has(k) || v === undefined || (Array.isArray(v) && v.length === 0) || v === false) continue;
    out[k] = v;
  }
  return JSON.stringify(out);
}

const where = (i: Instruction) => `L${i.startLine}${i.endLine !== i.startLine ? `-${i.endLine}` : ""}`;

function account(name: string, opts: PlanOptions): string {
  const text = readFileSync(join(DIR, `${name}.Dockerfile`), "utf8");
  const parsed = parseDockerfile(text, { fileName: `${name}.Dockerfile` });
  const out: string[] = [];
  const d = parsed.directives;
  out.push(`directives: escape=${d.escape}${d.syntax ? ` syntax=${d.syntax}` : ""}${d.check ? ` check=${d.check}` : ""}`);
  for (const w of parsed.warnings) out.push(`warning L${w.line}: ${w.message}`);
  out.push("", "# parsed");
  for (const i of parsed.instructions) {
    const flags = i.flags.map((f) => ` --${f.name}${f.value === undefined ? "" : `=${f.value}`}`).join("");
    out.push(`${where(i)} ${i.keyword}${flags} ${fields(i)}`);
    for (const h of i.heredocs) out.push(`    heredoc ${JSON.stringify(h)}`);
  }
  const plan = planStages(parsed, opts);
  out.push("", `# plan target=${plan.target.label} waves=${JSON.stringify(plan.levels.map((l) => l.map((s) => s.label)))}`);
  out.push(`unused build args: ${JSON.stringify(plan.unusedBuildArgs)}`);
  for (const w of plan.warnings) out.push(`warning L${w.line}: ${w.message}`);
  const scopes = new Map<number, StageScope>();
  for (const stage of plan.needed) {
    const base = stage.base.kind === "image" ? stage.base.ref : stage.base.kind === "stage" ? `stage ${stage.base.index}` : "scratch";
    out.push("", `## stage ${stage.index} ${stage.label}: base=${base}${stage.platform ? ` platform=${stage.platform}` : ""} needs=${JSON.stringify(stage.dependsOn)}${stage.images.length ? ` images=${JSON.stringify(stage.images)}` : ""}`);
    const scope =
      stage.base.kind === "stage"
        ? StageScope.fromStage(scopes.get(stage.base.index)!)
        : StageScope.fromImage([], plan);
    for (const ins of [...stage.triggers, ...stage.instructions]) {
      const step = scope.step(ins);
      out.push(`${where(ins)} ${ins.keyword} ${fields(step)}`);
      if (step.keyword === "RUN") out.push(`    runs ${JSON.stringify(runScript(step))}`);
    }
    out.push(`env: ${JSON.stringify(Object.fromEntries(scope.env))}`);
    out.push(`image env: ${JSON.stringify(Object.fromEntries(scope.imageEnv))}`);
    out.push(`run env extras: ${JSON.stringify(Object.fromEntries([...scope.runEnv()].filter(([k]) => !scope.env.has(k))))}`);
    out.push(`history prefix: ${JSON.stringify(scope.historyPrefix())}`);
    scopes.set(stage.index, scope);
  }
  return out.join("\n") + "\n";
}

describe("Dockerfile corpus", () => {
  test.each(Object.entries(CASES))("%s", (name, opts) => {
    const got = account(name, opts);
    const file = join(DIR, `${name}.expected`);
    if (process.env.UPDATE_CORPUS) writeFileSync(file, got);
    expect(got).toBe(readFileSync(file, "utf8"));
  });
});
