import { DirectiveReader } from "./directives.js";
import { checkFlags, toFlags } from "./flags.js";
import { DockerfileError, SyntaxProblem, locate } from "./errors.js";
import { markersInLine } from "./heredoc.js";
import { buildInstruction, KEYWORDS, type Head } from "./instructions.js";
import { parseJsonArray } from "./json-form.js";
import { withSuggestion } from "./suggest.js";
import type { EscapeToken, Instruction, Keyword, OnbuildInstruction, ParsedDockerfile, ParseWarning } from "./types.js";
import { extractFlags, splitOnce, trimLeftSpace, trimSpace } from "./words.js";

// Dockerfile text → instructions, reading lines the way BuildKit's parser does:
// - `#` starts a comment only at the beginning of a line (after white space);
// - the escape character at the end of a line continues it; the first line of
//   an instruction loses its leading white space, continuation lines keep it;
// - comment lines and empty lines inside a continuation are skipped (an empty
//   one earns a warning: Docker will make it an error one day);
// - after a RUN/COPY/ADD line with `<<WORD` markers, here-document bodies follow,
//   each up to a line that is exactly WORD.
// https://docs.docker.com/reference/dockerfile/#format

export interface ParseOptions {
  /** Named in error messages, e.g. "Dockerfile" or "build/Dockerfile.prod". */
  fileName?: string;
}

const HEREDOC_KEYWORDS = new Set(["ADD", "COPY", "RUN"]);
const EMPTY_CONTINUATION_URL = "https://docs.docker.com/go/dockerfile/rule/no-empty-continuation/";

const trimNewline = (s: string) => s.replace(/[\r\n]+$/, "");
const isComment = (s: string) => trimLeftSpace(s).startsWith("#");

/** Ends with the escape character (not itself escaped), perhaps followed by spaces or tabs. */
const CONTINUATION: Record<EscapeToken, RegExp> = {
  "\\": /([^\\])\\[ \t]*$|^\\[ \t]*$/,
  "`": /([^`])`[ \t]*$|^`[ \t]*$/,
};

export function parseDockerfile(text: string, opts: ParseOptions = {}): ParsedDockerfile {
  const file = opts.fileName ?? "Dockerfile";
  if (text.length === 0) throw new DockerfileError("the Dockerfile cannot be empty", { file, line: 0 });
  const lines = text.match(/[^\n]*\n|[^\n]+$/g) ?? [];
  if (lines[0]?.startsWith("\uFEFF")) lines[0] = lines[0].slice(1);

  const directives = new DirectiveReader();
  const instructions: Instruction[] = [];
  const warnings: ParseWarning[] = [];
  let comments: string[] = [];
  let next = 0; // index of the next physical line; also the number of lines read

  /** Trim the line ending (and leading space on an instruction's first line), note directives, blank out comments. */
  const processLine = (raw: string, first: boolean): { text: string; directive: boolean } => {
    let token = trimNewline(raw);
    if (first) token = trimLeftSpace(token);
    let directive: boolean;
    try {
      directive = directives.read(token, next);
    } catch (err) {
      locate(err, { file, line: next });
    }
    return { text: isComment(token) ? "" : token, directive };
  };
  const trimContinuation = (s: string): { text: string; done: boolean } => {
    const re = CONTINUATION[directives.directives.escape];
    return re.test(s) ? { text: s.replace(re, "$1"), done: false } : { text: s, done: true };
  };

  while (next < lines.length) {
    const raw = lines[next++]!;
    if (isComment(raw)) {
      const comment = trimSpace(trimLeftSpace(raw).slice(1));
      comments = comment === "" ? [] : [...comments, comment];
    }
    const first = processLine(raw, true);
    if (first.directive) comments.pop();
    const startLine = next;
    let piece = trimContinuation(first.text);
    if (piece.done && piece.text === "") continue;
    let line = piece.text;
    let emptyContinuation = false;
    while (!piece.done && next < lines.length) {
      const rawNext = lines[next++]!;
      const processed = processLine(rawNext, false);
      if (isComment(rawNext)) continue;
      if (trimLeftSpace(processed.text) === "") {
        emptyContinuation = true;
        continue;
      }
      piece = trimContinuation(processed.text);
      line += piece.text;
    }
    if (emptyContinuation) warnings.push({ message: "Empty continuation line", line: next, url: EMPTY_CONTINUATION_URL });
    if (trimSpace(line) === "") continue;

    const escape = directives.directives.escape;
    let at = { file, line: startLine, instruction: undefined as string | undefined };
    try {
      const head = splitCommand(line, escape, startLine, comments);
      at = { ...at, instruction: head.keyword };
      const trigger = head.keyword === "ONBUILD" ? triggerHead(head, escape) : undefined;
      const target = trigger ?? head;
      if (HEREDOC_KEYWORDS.has(target.keyword) && !parseJsonArray(target.args) && line.includes("<<")) {
        for (const marker of markersInLine(line)) {
          const doc = readHeredoc(lines, next, marker.name, marker.chomp);
          next = doc.next;
          if (!doc.terminated) throw new SyntaxProblem("unterminated heredoc");
          head.heredocs.push({ ...marker, content: doc.content });
        }
      }
      head.endLine = next;
      head.source = lines.slice(startLine - 1, next).join("").replace(/\r?\n$/, "");
      instructions.push(build(head, trigger, escape));
    } catch (err) {
      locate(err, { ...at, endLine: next });
    }
    comments = [];
  }
  if (instructions.length === 0) throw new DockerfileError("file with no instructions", { file, line: 0 });
  const d = directives.directives;
  return { fileName: file, directives: d, escape: d.escape, instructions, warnings };
}

/** Keyword, flags and the rest of one logical line. */
function splitCommand(line: string, escape: string, startLine: number, comments: string[]): Head {
  const [word, rest] = splitOnce(trimSpace(line));
  const keyword = word!.toUpperCase();
  if (!(KEYWORDS as readonly string[]).includes(keyword))
    throw new SyntaxProblem(withSuggestion(`unknown instruction: ${word}`, word!, KEYWORDS, false));
  const { flags, rest: args } = rest === undefined ? { flags: [], rest: "" } : extractFlags(rest, escape);
  return {
    keyword: keyword as Keyword,
    flags: toFlags(flags),
    args: trimSpace(args),
    startLine,
    endLine: startLine,
    original: line,
    source: "",
    heredocs: [],
    comments,
  };
}

/** `ONBUILD RUN …`: the trigger is an instruction of its own, with a few forbidden. */
function triggerHead(head: Head, escape: string): Head {
  if (head.args === "") throw new SyntaxProblem("ONBUILD requires at least one argument");
  const trigger = splitCommand(head.args, escape, head.startLine, []);
  if (trigger.keyword === "ONBUILD") throw new SyntaxProblem("Chaining ONBUILD via `ONBUILD ONBUILD` isn't allowed");
  if (trigger.keyword === "MAINTAINER" || trigger.keyword === "FROM")
    throw new SyntaxProblem(`${trigger.keyword} isn't allowed as an ONBUILD trigger`);
  return trigger;
}

function build(head: Head, trigger: Head | undefined, escape: string): Instruction {
  return buildInstruction(head, escape, (h): OnbuildInstruction => {
    checkFlags("ONBUILD", h.flags);
    const t = buildInstruction({ ...trigger!, endLine: h.endLine, source: h.source, heredocs: h.heredocs }, escape, () => {
      throw new SyntaxProblem("Chaining ONBUILD via `ONBUILD ONBUILD` isn't allowed");
    });
    // The image config keeps the trigger as text, here-documents written out again.
    let expression = h.original.replace(/^[\t\n\f\r ]*ONBUILD[\t\n\f\r ]*/i, "");
    for (const doc of h.heredocs) expression += `\n${doc.content}${doc.name}`;
    return { ...h, keyword: "ONBUILD", trigger: t, expression };
  });
}

/** Read a here-document body starting at line index `from`. */
function readHeredoc(lines: string[], from: number, name: string, chomp: boolean): { content: string; next: number; terminated: boolean } {
  let content = "";
  let next = from;
  while (next < lines.length) {
    const raw = lines[next++]!;
    let candidate = trimNewline(raw);
    if (chomp) candidate = candidate.replace(/^\t+/, "");
    if (candidate === name) return { content, next, terminated: true };
    content += raw;
  }
  return { content, next, terminated: false };
}
