import { SyntaxProblem } from "./errors.js";
import { trimLeftSpace } from "./words.js";
import type { Directive, Directives, EscapeToken } from "./types.js";

// Parser directives: `# name=value` comments at the very top of the file.
// https://docs.docker.com/reference/dockerfile/#parser-directives
// - Only syntax, escape and check are directives; the name is case-insensitive.
// - The first line that is not a directive (an instruction, a blank line, an
//   ordinary or unknown-directive comment) ends them: later ones are comments.
// - Each may appear once.

const KNOWN = new Set(["syntax", "escape", "check"]);
// RE2's \s is ASCII white space without \v.
const DIRECTIVE = /^([a-zA-Z][a-zA-Z0-9]*)[\t\n\f\r ]*=[\t\n\f\r ]*(.+?)[\t\n\f\r ]*$/;

export class DirectiveReader {
  readonly directives: Directives = { escape: "\\", list: [] };
  private done = false;

  /** Look at one physical line (already left-trimmed where Docker trims it). True if it was a directive. */
  read(line: string, lineNumber: number): boolean {
    if (this.done) return false;
    if (!line.startsWith("#")) {
      this.done = true;
      return false;
    }
    const m = DIRECTIVE.exec(trimLeftSpace(line.slice(1)));
    const name = m?.[1]!.toLowerCase();
    if (!m || !name || !KNOWN.has(name)) {
      this.done = true;
      return false;
    }
    if (this.directives.list.some((d) => d.name === name)) throw new SyntaxProblem(`only one ${name} parser directive can be used`);
    const value = m[2]!;
    const d: Directive = { name, value, line: lineNumber };
    this.directives.list.push(d);
    if (name === "escape") {
      if (value !== "\\" && value !== "`") throw new SyntaxProblem(`invalid escape token '${value}' does not match \` or \\`);
      this.directives.escape = value as EscapeToken;
    } else if (name === "syntax") this.directives.syntax = value;
    else this.directives.check = value;
    return true;
  }
}
