// The parser's own word splitting, before any variable expansion. Docker uses
// three different rules depending on the instruction, and they differ in
// whether quotes count; each is kept here as Docker has it so that edge cases
// (`COPY "a b" /x` is two broken words, `ENV a="b c"` is one) match.

/** Go's unicode.IsSpace. */
const SPACE = /^[\t\n\v\f\r \u0085\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]$/;
export const isSpace = (c: string | undefined): boolean => c !== undefined && SPACE.test(c);

/** Trim like Go's strings.TrimSpace. */
export function trimSpace(s: string): string {
  let a = 0;
  let b = s.length;
  while (a < b && isSpace(s[a])) a++;
  while (b > a && isSpace(s[b - 1])) b--;
  return s.slice(a, b);
}

export function trimLeftSpace(s: string): string {
  let a = 0;
  while (a < s.length && isSpace(s[a])) a++;
  return s.slice(a);
}

/** The parser's whitespace (no newline, no Unicode spaces): `[\t\v\f\r ]+`. */
export const WHITESPACE = /[\t\v\f\r ]+/;

/** Split on runs of whitespace, quotes meaning nothing (FROM, EXPOSE, COPY/ADD/VOLUME shell form). */
export function splitWhitespace(rest: string): string[] {
  if (rest === "") return [];
  return rest.split(WHITESPACE);
}

/** Split at the first run of whitespace: `[first, rest]` or `[all]`. */
export function splitOnce(s: string): string[] {
  const m = WHITESPACE.exec(s);
  if (!m) return [s];
  return [s.slice(0, m.index), s.slice(m.index + m[0].length)];
}

/**
 * Words for ARG, ENV and LABEL: split at unquoted white space, keeping quotes
 * and escapes in the words (they are removed later, by expansion).
 */
export function parseWords(rest: string, escape: string): string[] {
  const words: string[] = [];
  const chars = Array.from(rest);
  let word = "";
  let inWord = false;
  let quote = "";
  let blankOK = false;
  for (let i = 0; i < chars.length; i++) {
    let ch = chars[i]!;
    if (!inWord && !quote) {
      if (isSpace(ch)) continue;
      inWord = true;
    }
    if (quote) {
      if (ch === quote) quote = "";
      else if (ch === escape && quote !== "'") {
        // Inside double quotes the escape keeps the next character with it.
        if (i + 1 === chars.length) continue;
        word += ch;
        ch = chars[++i]!;
      }
      word += ch;
      continue;
    }
    if (isSpace(ch)) {
      if (blankOK || word) words.push(word);
      word = "";
      inWord = false;
      blankOK = false;
      continue;
    }
    if (ch === "'" || ch === '"') {
      quote = ch;
      blankOK = true;
    } else if (ch === escape) {
      if (i + 1 === chars.length) continue; // an escape at the very end is dropped
      word += ch;
      ch = chars[++i]!;
    }
    word += ch;
  }
  if (inWord && (blankOK || word)) words.push(word);
  return words;
}

/**
 * Take the leading `--name[=value]` words off an instruction's arguments.
 * Quotes and escapes in a flag are resolved here (`--chown="a b"` is "a b");
 * a bare `--` ends the flags. Returns the flags and the remaining text.
 */
export function extractFlags(line: string, escape: string): { flags: string[]; rest: string } {
  const flags: string[] = [];
  let pos = 0;
  for (;;) {
    while (pos < line.length && isSpace(line[pos])) pos++;
    if (pos >= line.length) return { flags, rest: "" };
    if (!line.startsWith("--", pos)) return { flags, rest: line.slice(pos) };
    let word = "";
    let quote = "";
    let blankOK = false;
    for (; pos < line.length; pos++) {
      let ch = line[pos]!;
      if (quote) {
        if (ch === quote) {
          quote = "";
          continue;
        }
        if (ch === escape) {
          if (pos + 1 === line.length) {
            quote = "";
            continue;
          }
          ch = line[++pos]!;
        }
        word += ch;
        continue;
      }
      if (isSpace(ch)) break;
      if (ch === "'" || ch === '"') {
        quote = ch;
        blankOK = true;
        continue;
      }
      if (ch === escape) {
        if (pos + 1 === line.length) continue;
        ch = line[++pos]!;
      }
      word += ch;
    }
    if (word === "--") return { flags, rest: line.slice(pos) };
    if (blankOK || word) flags.push(word);
  }
}
