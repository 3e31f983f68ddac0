import { InvalidArgumentError } from "../../errors.js";

// A Dockerfile mistake, placed like BuildKit places it: the file, the first
// line of the offending instruction, and BuildKit's own wording for the cause
// ("unknown instruction: FOO", "ENV must have two arguments"), so users can
// search for the message and find Docker's answers.

const REFERENCE = "https://docs.docker.com/reference/dockerfile/";

export interface DockerfileLocation {
  file: string;
  /** 0 for a problem with the file as a whole. */
  line: number;
  endLine?: number;
  /** The instruction keyword, upper-cased, when there is one. */
  instruction?: string;
}

export class DockerfileError extends InvalidArgumentError {
  readonly file: string;
  readonly line: number;
  readonly endLine: number;
  readonly instruction?: string;
  /** The cause without the location. */
  readonly detail: string;

  constructor(detail: string, at: DockerfileLocation) {
    const known = at.instruction && /^[A-Z]+$/.test(at.instruction) && at.instruction !== "UNKNOWN";
    super(`${at.file}${at.line > 0 ? `:${at.line}` : ""}: ${detail}`, `see ${REFERENCE}${known ? `#${at.instruction!.toLowerCase()}` : ""}`);
    this.file = at.file;
    this.line = at.line;
    this.endLine = at.endLine ?? at.line;
    this.instruction = at.instruction;
    this.detail = detail;
  }
}

/**
 * A problem found while reading one instruction, before its place is known.
 * The parser catches it and rethrows it as a DockerfileError with the line.
 */
export class SyntaxProblem extends Error {}

/** Re-throw anything from inside an instruction with that instruction's place. */
export function locate(err: unknown, at: DockerfileLocation): never {
  if (err instanceof DockerfileError) throw err;
  if (err instanceof SyntaxProblem || err instanceof InvalidArgumentError) throw new DockerfileError(err.message, at);
  throw err;
}
