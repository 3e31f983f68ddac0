import { SyntaxProblem } from "./errors.js";
import { trimLeftSpace } from "./words.js";

// The exec (JSON) form: `CMD ["a", "b"]`. Text that is not a JSON array at all
// falls back to the shell form, as Docker does (`CMD ['a']` is the shell
// command `['a']`); a JSON array with something other than strings is an
// error, since the author clearly meant the exec form.
// https://docs.docker.com/reference/dockerfile/#shell-and-exec-form

/** The array when `rest` is a JSON array of strings; undefined when it is not JSON. */
export function parseJsonArray(rest: string): string[] | undefined {
  const text = trimLeftSpace(rest);
  if (!text.startsWith("[")) return undefined;
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (!Array.isArray(value)) return undefined;
  if (!value.every((v) => typeof v === "string"))
    throw new SyntaxProblem("when using JSON array syntax, arrays must be comprised of strings only");
  return value as string[];
}
