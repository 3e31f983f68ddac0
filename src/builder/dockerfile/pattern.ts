import { InvalidArgumentError } from "../../errors.js";

// Shell patterns for `${v#p}`, `${v%p}` and `${v/p/r}`: `*` is any string,
// `?` any one character, `\` makes `*`, `?` or `\` literal; no bracket
// expressions (BuildKit leaves them out).
// https://pubs.opengroup.org/onlinepubs/9699919799/utilities/V3_chap02.html#tag_18_13

const REGEX_SPECIAL = new Set(["[", "]", "{", "}", ".", "+", "(", ")", "|", "^", "$"]);

function toRegex(pattern: string, greedy: boolean, anchored: boolean, flags = ""): RegExp {
  const chars = Array.from(pattern);
  let out = anchored ? "^" : "";
  for (let i = 0; i < chars.length; i++) {
    const ch = chars[i]!;
    if (ch === "*") out += greedy ? "[^\\n]*" : "[^\\n]*?";
    else if (ch === "?") out += "[^\\n]";
    else if (ch === "\\") {
      // `\}` and `\/` were escapes for the ${} syntax, not for the pattern.
      const next = chars[i + 1];
      if (next === "}" || next === "/") continue;
      if (next !== "*" && next !== "?" && next !== "\\") throw new InvalidArgumentError(`invalid pattern (${pattern}) in substitution: invalid escape '\\${next ?? ""}'`);
      out += "\\" + next;
      i++;
    } else if (REGEX_SPECIAL.has(ch)) out += "\\" + ch;
    else out += ch;
  }
  return new RegExp(out, "u" + flags);
}

/** `${v#p}` (shortest) and `${v##p}` (longest): drop a matching prefix. */
export function trimPrefix(pattern: string, value: string, greedy: boolean): string {
  const m = toRegex(pattern, greedy, true).exec(value);
  return m ? value.slice(m[0].length) : value;
}

/** Reverse a pattern, keeping each escape in front of the character it escapes. */
function reversePattern(pattern: string): string {
  const chars = Array.from(pattern);
  const out: string[] = new Array(chars.length);
  const last = chars.length - 1;
  for (let i = 0; i <= last; ) {
    if (chars[i] === "\\" && i !== last) {
      out[last - i - 1] = "\\";
      out[last - i] = chars[i + 1]!;
      i += 2;
    } else {
      out[last - i] = chars[i]!;
      i++;
    }
  }
  return out.join("");
}

const reverse = (s: string) => Array.from(s).reverse().join("");

/**
 * `${v%p}` (shortest) and `${v%%p}` (longest): drop a matching suffix. A regular
 * expression finds the leftmost match, so both sides are reversed to turn the
 * rightmost search into a leftmost one.
 */
export function trimSuffix(pattern: string, value: string, greedy: boolean): string {
  return reverse(trimPrefix(reversePattern(pattern), reverse(value), greedy));
}

/** `${v/p/r}` replaces the first (longest) match, `${v//p/r}` every match. */
export function replacePattern(value: string, pattern: string, replacement: string, all: boolean): string {
  const re = toRegex(pattern, true, false, all ? "g" : "");
  return value.replace(re, () => replacement);
}
