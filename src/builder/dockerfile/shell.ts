import { InvalidArgumentError } from "../../errors.js";
import { trimPrefix, trimSuffix, replacePattern } from "./pattern.js";
import { isSpace } from "./words.js";

// Docker's "shell lexer": the small subset of POSIX sh word processing the
// builder applies to instruction arguments. It is not a shell: no command
// substitution, no globbing, no `~`. What it does:
// - `$name`, `${name}`, and `${name:-w}` `${name-w}` `${name:+w}` `${name+w}`
//   `${name:?w}` `${name?w}`, `${name#p}` `${name##p}` `${name%p}` `${name%%p}`
//   `${name/p/r}` `${name//p/r}` (the pattern forms are BuildKit's additions);
// - '…' keeps everything literal; "…" still expands `$` and lets the escape
//   character escape only `"`, `$` and itself;
// - the escape character (`\`, or `` ` `` under `# escape=`) makes the next
//   character literal;
// - word splitting: unquoted white space separates words, also white space
//   that comes out of an unquoted variable.
// https://docs.docker.com/reference/dockerfile/#environment-replacement

export type Env = ReadonlyMap<string, string>;

export interface LexOptions {
  /** The escape character; `\` unless the Dockerfile says `# escape=`. */
  escape?: string;
  /** Keep quote characters in the result (quotes still group and protect). */
  rawQuotes?: boolean;
  /** Keep escape characters in the result. */
  rawEscapes?: boolean;
  /** Leave references to unset variables as written instead of making them empty. */
  skipUnset?: boolean;
  /** Quotes are ordinary characters (here-document bodies). */
  skipQuotes?: boolean;
}

export interface Expansion {
  /** The whole text processed, white space kept (Docker's ProcessWord). */
  result: string;
  /** The text split into words (Docker's ProcessWords). */
  words: string[];
  /** Variables looked up and found, and looked up but unset. */
  matched: Set<string>;
  unmatched: Set<string>;
}

const EMPTY: Env = new Map();

/** Expand one argument, keeping its white space: WORKDIR, USER, ENV values, COPY paths. */
export function expandString(text: string, env: Env = EMPTY, opts: LexOptions = {}): string {
  return lex(text, env, opts).result;
}

/** Expand and split into words: EXPOSE, and callers that want shell-like words. */
export function expandWords(text: string, env: Env = EMPTY, opts: LexOptions = {}): string[] {
  return lex(text, env, opts).words;
}

export function lex(text: string, env: Env = EMPTY, opts: LexOptions = {}): Expansion {
  const sw = new ShellWord(text, env, opts);
  try {
    const { result, words } = sw.processUntil(undefined, !!opts.rawEscapes);
    return { result, words, matched: sw.matched, unmatched: sw.unmatched };
  } catch (err) {
    if (err instanceof LexError) throw new InvalidArgumentError(`failed to process ${JSON.stringify(text)}: ${err.message}`);
    throw err;
  }
}

class LexError extends Error {}

/** Collects words: white space splits unless it came from quotes or escapes. */
class Words {
  private buf = "";
  private inWord = false;
  readonly list: string[] = [];

  addChar(ch: string): void {
    if (isSpace(ch)) {
      if (this.inWord && this.buf) {
        this.list.push(this.buf);
        this.buf = "";
        this.inWord = false;
      }
    } else this.addRaw(ch);
  }

  addRaw(s: string): void {
    this.buf += s;
    this.inWord = true;
  }

  addString(s: string): void {
    for (const ch of s) this.addChar(ch);
  }

  finish(): string[] {
    if (this.buf) {
      this.list.push(this.buf);
      this.buf = "";
      this.inWord = false;
    }
    return this.list;
  }
}

const SPECIAL_PARAMS = new Set(["@", "*", "#", "?", "-", "$", "!", "0"]);
const isDigit = (c: string | undefined) => c !== undefined && /^\p{Nd}$/u.test(c);
const isNameChar = (c: string) => /^[\p{L}\p{Nd}_]$/u.test(c);

class ShellWord {
  private readonly chars: string[];
  private pos = 0;
  private rawEscapes = false;
  private readonly escape: string;
  readonly matched = new Set<string>();
  readonly unmatched = new Set<string>();

  constructor(text: string, private readonly env: Env, private readonly opts: LexOptions) {
    this.chars = Array.from(text);
    this.escape = opts.escape ?? "\\";
  }

  private peek(): string | undefined {
    return this.chars[this.pos];
  }

  private next(): string | undefined {
    return this.chars[this.pos++];
  }

  /** Process up to `stop` (consumed) or the end of the text. */
  processUntil(stop: string | undefined, rawEscapes: boolean): { result: string; words: string[] } {
    const saved = this.rawEscapes;
    this.rawEscapes = rawEscapes;
    try {
      let result = "";
      const words = new Words();
      while (this.peek() !== undefined) {
        let ch = this.peek()!;
        if (stop !== undefined && ch === stop) {
          this.next();
          return { result, words: words.finish() };
        }
        const quote = !this.opts.skipQuotes && (ch === "'" || ch === '"');
        if (ch === "$" || ch === "<" || quote) {
          const piece = ch === "$" ? this.dollar() : ch === "<" ? this.possibleHeredoc() : ch === "'" ? this.singleQuoted() : this.doubleQuoted();
          result += piece;
          // A variable's value is split like unquoted text; quoted text stays one piece.
          if (ch === "$") words.addString(piece);
          else words.addRaw(piece);
          continue;
        }
        this.next();
        if (ch === this.escape) {
          if (this.rawEscapes) {
            words.addRaw(ch);
            result += ch;
          }
          const escaped = this.next();
          if (escaped === undefined) break; // a lone escape at the end is dropped
          ch = escaped;
          words.addRaw(ch);
        } else words.addChar(ch);
        result += ch;
      }
      if (stop !== undefined) throw new LexError(`unexpected end of statement while looking for matching ${stop}`);
      return { result, words: words.finish() };
    } finally {
      this.rawEscapes = saved;
    }
  }

  private singleQuoted(): string {
    let out = this.opts.rawQuotes ? this.next()! : (this.next(), "");
    for (;;) {
      const ch = this.next();
      if (ch === undefined) throw new LexError("unexpected end of statement while looking for matching single-quote");
      if (ch === "'") return this.opts.rawQuotes ? out + ch : out;
      out += ch;
    }
  }

  private doubleQuoted(): string {
    let out = this.opts.rawQuotes ? this.next()! : (this.next(), "");
    for (;;) {
      const peek = this.peek();
      if (peek === undefined) throw new LexError("unexpected end of statement while looking for matching double-quote");
      if (peek === '"') {
        this.next();
        return this.opts.rawQuotes ? out + '"' : out;
      }
      if (peek === "$") {
        out += this.dollar();
        continue;
      }
      let ch = this.next()!;
      if (ch === this.escape) {
        if (this.rawEscapes) out += ch;
        const after = this.peek();
        if (after === undefined) continue;
        // Inside double quotes the escape only works on these; elsewhere it is literal.
        if (after === '"' || after === "$" || after === this.escape) ch = this.next()!;
      }
      out += ch;
    }
  }

  /** `<<` with the white space after it stays glued to the word that follows (heredoc markers). */
  private possibleHeredoc(): string {
    this.next();
    if (this.peek() !== "<") return "<";
    this.next();
    let out = "<<";
    while (this.peek() === " " || this.peek() === "\t" || this.peek() === "\r") out += this.next();
    return out;
  }

  private lookup(name: string): string | undefined {
    const v = this.env.get(name);
    if (v === undefined) this.unmatched.add(name);
    else this.matched.add(name);
    return v;
  }

  private dollar(): string {
    this.next();
    if (this.peek() !== "{") {
      const name = this.name();
      if (name === "") return "$";
      const value = this.lookup(name);
      if (value === undefined && this.opts.skipUnset) return "$" + name;
      return value ?? "";
    }
    this.next();
    const first = this.peek();
    if (first === undefined) throw new LexError("syntax error: missing '}'");
    if (first === "{" || first === "}" || first === ":") throw new LexError("syntax error: bad substitution");
    const name = this.name();
    let ch = this.next();
    if (ch === undefined) throw new LexError("syntax error: missing '}'");
    if (ch === "}") {
      const value = this.lookup(name);
      if (value === undefined && this.opts.skipUnset) return "${" + name + "}";
      return value ?? "";
    }
    if (ch === "/") return this.replace(name);
    let modifier = ch;
    const nullIsUnset = ch === ":";
    if (nullIsUnset) {
      ch = this.next();
      if (ch === undefined) throw new LexError("syntax error: missing '}'");
      modifier += ch;
    } else if (!"+-?#%".includes(ch)) throw new LexError(`unsupported modifier (${modifier}) in substitution`);
    const patternOp = ch === "#" || ch === "%";
    if (nullIsUnset && patternOp) throw new LexError(`unsupported modifier (${modifier}) in substitution`);
    const word = this.nested("}", patternOp);
    const value = this.lookup(name);
    if (value === undefined && this.opts.skipUnset) return "${" + name + modifier + word + "}";
    const unset = value === undefined || (nullIsUnset && value === "");
    switch (ch) {
      case "-":
        return unset ? word : value!;
      case "+":
        return unset ? "" : word;
      case "?":
        if (value === undefined) throw new LexError(`${name}: ${word || "is not allowed to be unset"}`);
        if (unset) throw new LexError(`${name}: ${word || "is not allowed to be empty"}`);
        return value;
      case "#":
      case "%": {
        // One "#" or "%" matches the shortest pattern, two the longest.
        const greedy = word.startsWith(ch);
        const pattern = greedy ? word.slice(1) : word;
        return ch === "#" ? trimPrefix(pattern, value ?? "", greedy) : trimSuffix(pattern, value ?? "", greedy);
      }
      default:
        throw new LexError(`unsupported modifier (${modifier}) in substitution`);
    }
  }

  private replace(name: string): string {
    const all = this.peek() === "/";
    if (all) this.next();
    const pattern = this.nested("/", true, "syntax error: missing '/' in ${}");
    const replacement = this.nested("}", true);
    const value = this.lookup(name);
    if (value === undefined && this.opts.skipUnset) return "${" + name + "/" + pattern + "/" + replacement + "}";
    return replacePattern(value ?? "", pattern, replacement, all);
  }

  /** The word inside `${…}` up to `stop`; running out of text is a missing `}`. */
  private nested(stop: string, rawEscapes: boolean, missing = "syntax error: missing '}'"): string {
    try {
      return this.processUntil(stop, rawEscapes).result;
    } catch (err) {
      if (err instanceof LexError && this.peek() === undefined) throw new LexError(missing);
      throw err;
    }
  }

  /** A name: letters, digits, "_"; or all digits (positional); or one special parameter. */
  private name(): string {
    let name = "";
    for (let ch = this.peek(); ch !== undefined; ch = this.peek()) {
      if (name === "" && isDigit(ch)) {
        while (isDigit(this.peek())) name += this.next();
        return name;
      }
      if (name === "" && SPECIAL_PARAMS.has(ch)) return this.next()!;
      if (!isNameChar(ch)) break;
      name += this.next();
    }
    return name;
  }
}
