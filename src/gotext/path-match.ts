import { InvalidArgumentError } from "../errors.js";

// Go's path.Match (and filepath.Match on Linux): "*" and "?" never cross a
// "/", "[...]" classes with "^" negation, "\\" escapes. Docker uses it for
// COPY sources, .dockerignore-free patterns and `images --filter reference=`.

/** Go's path.Match as a regular expression over a whole "/"-separated path. */
export function globRegex(pattern: string): RegExp {
  let out = "^";
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i]!;
    if (c === "*") out += "[^/]*";
    else if (c === "?") out += "[^/]";
    else if (c === "\\" && i + 1 < pattern.length) out += escapeRe(pattern[++i]!);
    else if (c === "[") {
      const end = pattern.indexOf("]", i + 2);
      if (end < 0) throw new InvalidArgumentError(`syntax error in pattern: ${pattern}`);
      let body = pattern.slice(i + 1, end);
      const negate = body.startsWith("^");
      if (negate) body = body.slice(1);
      out += `[${negate ? "^/" : ""}${body.replace(/[\]\\]/g, (m) => `\\${m}`)}]`;
      i = end;
    } else out += escapeRe(c);
  }
  return new RegExp(`${out}$`, "s");
}

const escapeRe = (c: string) => c.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&");

/** Whether `s` matches the Go pattern as a whole. */
export function pathMatch(pattern: string, s: string): boolean {
  return globRegex(pattern).test(s);
}
