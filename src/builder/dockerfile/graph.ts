import { DockerfileError, SyntaxProblem, locate } from "./errors.js";
import { mountFrom } from "./mount.js";
import { checkStaticFrom } from "./expand.js";
import type { EscapeToken, Instruction, Stage } from "./types.js";

// Edges between stages: a stage needs its base stage, the stages it copies
// from (`COPY --from=name|index`) and the stages it mounts (`RUN
// --mount=from=name`). A name that is no stage is an image to pull. Cycles
// are refused, as BuildKit refuses them.

export interface Dependency {
  stage: Stage;
  /** How the instruction named it. */
  ref: string;
  /** The instruction that made the edge (the FROM for a base stage). */
  instruction: Instruction;
}

/** Fill in each stage's dependsOn and images; return the edges with where they come from. */
export function linkStages(stages: Stage[], file: string, escape: EscapeToken): Map<number, Dependency[]> {
  const byName = (name: string) => [...stages].reverse().find((s) => s.name === name.toLowerCase());
  const edges = new Map<number, Dependency[]>();
  for (const stage of stages) {
    const list: Dependency[] = [];
    const images = new Set<string>();
    if (stage.base.kind === "stage") list.push({ stage: stages[stage.base.index]!, ref: stage.from.image, instruction: stage.from });
    for (const ins of [...stage.triggers, ...stage.instructions]) {
      try {
        for (const ref of sourcesOf(ins, escape)) {
          const index = ref.kind === "copy" && /^[+-]?\d+$/.test(ref.name) ? Number(ref.name) : undefined;
          if (index !== undefined && (index < 0 || index >= stages.length)) throw new SyntaxProblem(`invalid stage index ${index}`);
          const found = index !== undefined ? stages[index] : byName(ref.name);
          if (found) list.push({ stage: found, ref: ref.name, instruction: ins });
          else images.add(ref.name);
        }
      } catch (err) {
        locate(err, { file, line: ins.startLine, endLine: ins.endLine, instruction: ins.keyword });
      }
    }
    edges.set(stage.index, list);
    stage.dependsOn = [...new Set(list.map((d) => d.stage.index))].sort((a, b) => a - b);
    stage.images = [...images];
  }
  refuseCycles(stages, edges, file);
  return edges;
}

/** Stage or image names an instruction reads from. */
function sourcesOf(ins: Instruction, escape: EscapeToken): { kind: "copy" | "mount"; name: string }[] {
  if (ins.keyword === "COPY" && ins.from !== undefined && ins.from !== "") {
    checkStaticFrom(ins.from, escape);
    return [{ kind: "copy", name: ins.from }];
  }
  if (ins.keyword === "RUN")
    return ins.mounts.flatMap((m) => {
      const from = mountFrom(m);
      return from ? [{ kind: "mount" as const, name: from }] : [];
    });
  return [];
}

function refuseCycles(stages: Stage[], edges: Map<number, Dependency[]>, file: string): void {
  const done = new Set<number>();
  const onPath = new Set<number>();
  const visit = (i: number): Dependency | undefined => {
    if (done.has(i)) return undefined;
    onPath.add(i);
    for (const dep of edges.get(i) ?? []) {
      if (onPath.has(dep.stage.index)) return dep;
      const found = visit(dep.stage.index);
      if (found) return found;
    }
    onPath.delete(i);
    done.add(i);
    return undefined;
  };
  for (const stage of stages) {
    const dep = visit(stage.index);
    if (dep)
      throw new DockerfileError(`circular dependency detected on stage: ${stage.label}`, {
        file,
        line: dep.instruction.startLine,
        endLine: dep.instruction.endLine,
        instruction: dep.instruction.keyword,
      });
  }
}
