import { SyntaxProblem } from "./errors.js";
import { withSuggestion } from "./suggest.js";
import type { Flag, Keyword } from "./types.js";

// Builder flags (`COPY --from=… --chown=…`): which instruction takes which,
// and BuildKit's checks and messages for them. Any other flag is an error.
// https://docs.docker.com/reference/dockerfile/

type FlagKind = "bool" | "string" | "strings";

const SPECS: Partial<Record<Keyword, Record<string, FlagKind>>> = {
  FROM: { platform: "string" },
  ADD: { chown: "string", chmod: "string", link: "bool", "keep-git-dir": "bool", checksum: "string", unpack: "bool", exclude: "strings" },
  COPY: { chown: "string", from: "string", chmod: "string", link: "bool", exclude: "strings", parents: "bool" },
  RUN: { mount: "strings", network: "string", security: "string", device: "strings" },
  HEALTHCHECK: { interval: "string", timeout: "string", "start-period": "string", "start-interval": "string", retries: "string" },
};

/** Split `--name=value` words into flags. */
export function toFlags(words: string[]): Flag[] {
  return words.map((w) => {
    const body = w.startsWith("--") ? w.slice(2) : w;
    const eq = body.indexOf("=");
    return eq < 0 ? { name: body, value: undefined } : { name: body.slice(0, eq), value: body.slice(eq + 1) };
  });
}

/** The checked values of an instruction's flags. */
export class FlagValues {
  private readonly strings = new Map<string, string>();
  private readonly bools = new Map<string, boolean>();
  private readonly lists = new Map<string, string[]>();

  string(name: string): string | undefined {
    return this.strings.get(name);
  }

  /** undefined when the flag was not given. */
  bool(name: string): boolean | undefined {
    return this.bools.get(name);
  }

  list(name: string): string[] {
    return this.lists.get(name) ?? [];
  }

  /** @internal */
  set(kind: FlagKind, name: string, value: string | boolean): void {
    if (kind === "strings") this.lists.set(name, [...this.list(name), value as string]);
    else if (kind === "bool") this.bools.set(name, value as boolean);
    else this.strings.set(name, value as string);
  }
}

/** Check an instruction's flags against what it accepts. */
export function checkFlags(keyword: Keyword, flags: Flag[]): FlagValues {
  const spec = SPECS[keyword] ?? {};
  const values = new FlagValues();
  const used = new Set<string>();
  for (const { name, value } of flags) {
    const flag = `--${name}`;
    const kind = spec[name];
    if (!kind) throw new SyntaxProblem(withSuggestion(`unknown flag: ${flag}`, name, Object.keys(spec), true));
    if (used.has(name) && kind !== "strings") throw new SyntaxProblem(`duplicate flag specified: ${flag}`);
    used.add(name);
    if (kind === "bool") {
      if (value === "") throw new SyntaxProblem(`missing a value on flag: ${flag}`);
      const v = (value ?? "true").toLowerCase();
      if (v !== "true" && v !== "false") throw new SyntaxProblem(`expecting boolean value for flag ${flag}, not: ${value}`);
      values.set(kind, name, v === "true");
    } else {
      if (value === undefined) throw new SyntaxProblem(`missing a value on flag: ${flag}`);
      values.set(kind, name, value);
    }
  }
  return values;
}
