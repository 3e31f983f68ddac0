// Tokens of Go's text/template, with the same rules Go's scanner applies:
// actions are "{{ … }}", "{{- " and " -}}" trim the white space beside them,
// "{{/* … */}}" is a comment, and an identifier must be followed by a
// terminator (space, "." "," "|" ":" "(" ")" or the closing delimiter).
// https://pkg.go.dev/text/template#hdr-Text_and_spaces

import { quote } from "../gofmt.js";

export type TokenType =
  | "text" | "left" | "right" | "space" | "field" | "ident" | "var" | "string" | "rawString" | "charConst"
  | "number" | "bool" | "char" | "pipe" | "lparen" | "rparen" | "declare" | "assign" | "eof" | "error"
  // keywords
  | "dot" | "nil" | "if" | "else" | "end" | "range" | "with" | "break" | "continue" | "define" | "template" | "block";

export interface Token {
  type: TokenType;
  val: string;
  /** Index in the template text. */
  pos: number;
  line: number;
}

const KEYWORDS: Record<string, TokenType> = {
  ".": "dot", nil: "nil", if: "if", else: "else", end: "end", range: "range", with: "with", break: "break",
  continue: "continue", define: "define", template: "template", block: "block",
};
const KEYWORD_TYPES = new Set(Object.values(KEYWORDS));

/** How Go's parser names a token in "unexpected …" errors. */
export function describe(t: Token): string {
  if (t.type === "eof") return "EOF";
  if (t.type === "error") return t.val;
  if (KEYWORD_TYPES.has(t.type)) return `<${t.val}>`;
  const runes = Array.from(t.val);
  if (runes.length > 10) return quote(runes.slice(0, 10).join("")) + "...";
  return quote(t.val);
}

const isSpace = (c: string | undefined) => c === " " || c === "\t" || c === "\r" || c === "\n";
const isAlnum = (c: string | undefined) => c !== undefined && /^[\p{L}\p{Nd}_]$/u.test(c);
const hasLeftTrim = (s: string, i: number) => s[i] === "-" && isSpace(s[i + 1]);
const hasRightTrim = (s: string, i: number) => isSpace(s[i]) && s[i + 1] === "-" && s.startsWith("}}", i + 2);

function runeName(c: string): string {
  const cp = c.codePointAt(0)!;
  return `U+${cp.toString(16).toUpperCase().padStart(4, "0")} '${c}'`;
}

export function lex(input: string): Token[] {
  const tokens = scan(input);
  // Lines are counted once, after the fact: tokens come in text order.
  let line = 1;
  let at = 0;
  for (const t of tokens) {
    for (; at < t.pos; at++) if (input.charCodeAt(at) === 10) line++;
    t.line = line;
  }
  return tokens;
}

function scan(input: string): Token[] {
  const tokens: Token[] = [];
  let pos = 0;
  let start = 0;
  let parenDepth = 0;

  const emit = (type: TokenType) => {
    tokens.push({ type, val: input.slice(start, pos), pos: start, line: 0 });
    start = pos;
  };
  const fail = (msg: string): Token[] => {
    tokens.push({ type: "error", val: msg, pos: start, line: 0 });
    return tokens;
  };
  const atTerminator = () => {
    const c = input[pos];
    return c === undefined || isSpace(c) || ".,|:()".includes(c) || input.startsWith("}}", pos);
  };
  const badChar = () => fail(`bad character ${runeName(String.fromCodePoint(input.codePointAt(pos)!))}`);
  /** A quoted literal; the opening quote is consumed. */
  const quoted = (q: string, what: string): boolean => {
    for (;;) {
      const d = input[pos];
      if (d === "\\") {
        const e = input[pos + 1];
        if (e === undefined || e === "\n") break;
        pos += 2;
        continue;
      }
      if (d === undefined || d === "\n") break;
      pos++;
      if (d === q) return true;
    }
    fail(`unterminated ${what}`);
    return false;
  };

  for (;;) {
    // Text up to the next action; "{{- " eats the white space before it.
    const x = input.indexOf("{{", pos);
    if (x < 0) {
      pos = input.length;
      if (pos > start) emit("text");
      emit("eof");
      return tokens;
    }
    const trimLeft = hasLeftTrim(input, x + 2);
    let textEnd = x;
    if (trimLeft) while (textEnd > start && isSpace(input[textEnd - 1])) textEnd--;
    if (textEnd > start) {
      pos = textEnd;
      emit("text");
    }
    pos = start = x;
    const afterMarker = x + 2 + (trimLeft ? 2 : 0);
    if (input.startsWith("/*", afterMarker)) {
      const end = input.indexOf("*/", afterMarker + 2);
      if (end < 0) return fail("unclosed comment");
      pos = end + 2;
      const trimRight = hasRightTrim(input, pos);
      if (!trimRight && !input.startsWith("}}", pos)) return fail("comment ends before closing delimiter");
      pos += (trimRight ? 2 : 0) + 2;
      if (trimRight) while (isSpace(input[pos])) pos++;
      start = pos;
      continue;
    }
    pos += 2;
    emit("left");
    pos = start = afterMarker;
    parenDepth = 0;

    // Inside the action.
    for (;;) {
      const trimRight = hasRightTrim(input, pos);
      if (trimRight || input.startsWith("}}", pos)) {
        if (parenDepth > 0) return fail("unclosed left paren");
        if (trimRight) pos = start = pos + 2;
        pos += 2;
        emit("right");
        if (trimRight) while (isSpace(input[pos])) pos++;
        start = pos;
        break;
      }
      const c = input[pos];
      if (c === undefined) return fail("unclosed action");
      if (isSpace(c)) {
        // Stop before a " -}}" so the trim marker is read whole.
        while (isSpace(input[pos]) && !hasRightTrim(input, pos)) pos++;
        if (pos > start) emit("space");
        continue;
      }
      pos++;
      if (c === "=") emit("assign");
      else if (c === ":") {
        if (input[pos] !== "=") return fail("expected :=");
        pos++;
        emit("declare");
      } else if (c === "|") emit("pipe");
      else if (c === '"') {
        if (!quoted('"', "quoted string")) return tokens;
        emit("string");
      } else if (c === "'") {
        if (!quoted("'", "character constant")) return tokens;
        emit("charConst");
      } else if (c === "`") {
        const end = input.indexOf("`", pos);
        if (end < 0) return fail("unterminated raw quoted string");
        pos = end + 1;
        emit("rawString");
      } else if (c === "$" || (c === "." && !/[0-9]/.test(input[pos] ?? ""))) {
        // $name, $, .Field or the dot itself.
        if (atTerminator()) {
          emit(c === "$" ? "var" : "dot");
          continue;
        }
        while (isAlnum(input[pos])) pos++;
        if (!atTerminator()) return badChar();
        emit(c === "$" ? "var" : "field");
      } else if (c === "." || c === "+" || c === "-" || (c >= "0" && c <= "9")) {
        pos--;
        if (!scanNumber()) return fail(`bad number syntax: ${quote(input.slice(start, pos))}`);
        emit("number");
      } else if (isAlnum(c)) {
        while (isAlnum(input[pos])) pos++;
        if (!atTerminator()) return badChar();
        const word = input.slice(start, pos);
        emit(KEYWORDS[word] ?? (word === "true" || word === "false" ? "bool" : "ident"));
      } else if (c === "(") {
        emit("lparen");
        parenDepth++;
      } else if (c === ")") {
        if (--parenDepth < 0) return fail("unexpected right paren");
        emit("rparen");
      } else if (c >= " " && c <= "~") emit("char");
      else return fail(`unrecognized character in action: ${runeName(String.fromCodePoint(input.codePointAt(pos - 1)!))}`);
    }
  }

  // Go's number scanner: loose on purpose; the parser rejects what it accepts wrongly.
  function scanNumber(): boolean {
    const accept = (set: string) => {
      if (pos < input.length && set.includes(input[pos]!)) {
        pos++;
        return true;
      }
      return false;
    };
    const acceptRun = (set: string) => {
      while (accept(set));
    };
    accept("+-");
    let digits = "0123456789_";
    if (accept("0")) {
      if (accept("xX")) digits = "0123456789abcdefABCDEF_";
      else if (accept("oO")) digits = "01234567_";
      else if (accept("bB")) digits = "01_";
    }
    acceptRun(digits);
    if (accept(".")) acceptRun(digits);
    if (digits.length === 11 && accept("eE")) {
      accept("+-");
      acceptRun("0123456789_");
    }
    if (digits.length === 23 && accept("pP")) {
      accept("+-");
      acceptRun("0123456789_");
    }
    accept("i");
    if (isAlnum(input[pos])) {
      pos++;
      return false;
    }
    return true;
  }
}
