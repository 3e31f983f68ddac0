import { DockerfileError } from "./errors.js";
import { parseDockerfile } from "./parse.js";
import type { Instruction } from "./types.js";

// ONBUILD triggers stored in a base image's config (`"OnBuild": ["RUN make"]`)
// run first when a stage is built FROM that image. Each entry is one
// instruction in Dockerfile syntax (here-documents written out after it).
// https://docs.docker.com/reference/dockerfile/#onbuild

export function parseTriggers(expressions: readonly string[], image = "base image"): Instruction[] {
  return expressions.map((expression) => {
    const file = `ONBUILD trigger of ${image}`;
    const { instructions } = parseDockerfile(expression, { fileName: file });
    if (instructions.length !== 1) throw new DockerfileError("onbuild trigger should be a single expression", { file, line: 0 });
    const ins = instructions[0]!;
    if (ins.keyword === "FROM")
      throw new DockerfileError("FROM isn't allowed as an ONBUILD trigger", { file, line: 0, instruction: "ONBUILD" });
    return ins;
  });
}
