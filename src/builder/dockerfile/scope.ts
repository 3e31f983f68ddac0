import { PROXY_ARGS } from "./build-args.js";
import { locate } from "./errors.js";
import { expandInstruction, type Expanded } from "./expand.js";
import { expandString } from "./shell.js";
import type { ArgDefinition, ArgInstruction, EscapeToken, Instruction } from "./types.js";

// The variables one build stage sees, step by step, as BuildKit keeps them:
// - a stage starts from its base: an image's config Env, or for `FROM <stage>`
//   everything the parent stage ended with (its ARG values too);
// - `ARG name` makes a value visible from that line on: the --build-arg value,
//   else the default (expanded with what is visible so far), else, for a name
//   declared before the first FROM, the global value (also the automatic
//   TARGETPLATFORM & co.); an ARG with none of these stays unset;
// - ARG and ENV write the same table, so whichever comes later wins ("ENV
//   overrides ARG" means an ENV after the ARG; an ARG after an inherited ENV
//   wins for the build), but only ENV reaches the image config.
// https://docs.docker.com/reference/dockerfile/#scope
// https://docs.docker.com/build/building/variables/#scoping

/** Docker's PATH for images that do not set one. */
export const DEFAULT_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";


export interface ScopeOptions {
  escape?: EscapeToken;
  /** For error messages. */
  fileName?: string;
  /** The global scope: automatic platform ARGs and the ARGs before the first FROM (StagePlan.globalArgs). */
  globalArgs?: ReadonlyMap<string, string>;
  /** --build-arg values. */
  buildArgs?: ReadonlyMap<string, string>;
}

/** An ARG in effect, with the value it took (undefined: declared but unset). */
export interface ArgValue {
  name: string;
  value?: string;
}

const splitEnv = (kv: string): [string, string] => {
  const eq = kv.indexOf("=");
  return eq < 0 ? [kv, ""] : [kv.slice(0, eq), kv.slice(eq + 1)];
};

export class StageScope {
  /** Variables for expansion and for RUN: the base's, then ARG and ENV values in order. */
  readonly env = new Map<string, string>();
  /** The image config's environment: the base's plus ENV, never ARG. */
  readonly imageEnv = new Map<string, string>();
  /** ARGs in effect (inherited from a parent stage, then this stage's), for RUN's history line. */
  readonly args: ArgValue[] = [];
  private readonly escape: EscapeToken;
  private readonly fileName: string;
  private readonly globalArgs: ReadonlyMap<string, string>;
  private readonly buildArgs: ReadonlyMap<string, string>;

  private constructor(private readonly opts: ScopeOptions) {
    this.escape = opts.escape ?? "\\";
    this.fileName = opts.fileName ?? "Dockerfile";
    this.globalArgs = opts.globalArgs ?? new Map();
    this.buildArgs = opts.buildArgs ?? new Map();
  }

  /** A stage on an image (or scratch): its config's Env ("K=V" strings), PATH added when missing. */
  static fromImage(configEnv: readonly string[] | undefined, opts: ScopeOptions = {}): StageScope {
    const scope = new StageScope(opts);
    for (const kv of configEnv ?? []) scope.imageEnv.set(...splitEnv(kv));
    if (!scope.imageEnv.has("PATH")) scope.imageEnv.set("PATH", DEFAULT_PATH);
    for (const [k, v] of scope.imageEnv) scope.env.set(k, v);
    return scope;
  }

  /** A stage `FROM <parent stage>`: it inherits the parent's variables and ARGs. */
  static fromStage(parent: StageScope): StageScope {
    const scope = new StageScope(parent.opts);
    for (const [k, v] of parent.env) scope.env.set(k, v);
    // BuildKit then applies the image config's Env again over the inherited state.
    for (const [k, v] of parent.imageEnv) {
      scope.imageEnv.set(k, v);
      scope.env.set(k, v);
    }
    scope.args.push(...parent.args);
    return scope;
  }

  /** Expand text as one word with the variables visible now. */
  expand(text: string): string {
    return expandString(text, this.env, { escape: this.escape });
  }

  /**
   * Take one instruction of the stage: returns it with its variables expanded
   * where Docker expands them (for ARG: each definition with the value it got),
   * and applies ARG and ENV to the scope. Errors name the instruction's line.
   */
  step<I extends Instruction>(ins: I): Expanded<I> {
    try {
      if (ins.keyword === "ARG") return this.declare(ins) as unknown as Expanded<I>;
      const out = expandInstruction(ins, this.env, this.escape);
      if (out.keyword === "ENV")
        for (const { key, value } of out.pairs) {
          this.env.set(key, value);
          this.imageEnv.set(key, value);
        }
      return out;
    } catch (err) {
      locate(err, { file: this.fileName, line: ins.startLine, endLine: ins.endLine, instruction: ins.keyword });
    }
  }

  private declare(ins: ArgInstruction): ArgInstruction {
    const definitions: ArgDefinition[] = [];
    for (const def of ins.definitions) {
      let value: string | undefined;
      if (this.buildArgs.has(def.name)) value = this.buildArgs.get(def.name);
      else if (def.value !== undefined) value = this.expand(def.value);
      else value = this.globalArgs.get(def.name);
      if (value !== undefined) this.env.set(def.name, value);
      this.args.push({ name: def.name, value });
      definitions.push({ name: def.name, value });
    }
    return { ...ins, definitions };
  }

  /**
   * The environment for a RUN: the build variables, plus the proxy build
   * arguments Docker passes to every RUN without an ARG, in both spellings.
   */
  runEnv(): Map<string, string> {
    const env = new Map(this.env);
    for (const name of PROXY_ARGS) {
      let value: string | undefined;
      for (const [k, v] of this.buildArgs) if (k.toUpperCase() === name) value = v;
      if (value) {
        env.set(name, value);
        env.set(name.toLowerCase(), value);
      }
    }
    return env;
  }

  /**
   * RUN's history entry, `|2 A=1 B= /bin/sh -c …`: every ARG in effect once,
   * with its current value (an ENV of the same name shows through).
   */
  historyPrefix(): string[] {
    const seen = new Map<string, number>();
    const out: string[] = [];
    for (const a of this.args) {
      const kv = `${a.name}=${this.env.get(a.name) ?? a.value ?? ""}`;
      const at = seen.get(a.name);
      if (at === undefined) {
        seen.set(a.name, out.length);
        out.push(kv);
      } else out[at] = kv;
    }
    return out.length ? [`|${out.length}`, ...out] : [];
  }
}

/** WORKDIR: a relative path continues from the previous working directory. */
export function resolveWorkdir(previous: string | undefined, path: string): string {
  const joined = path.startsWith("/") ? path : `${previous || "/"}/${path}`;
  const parts: string[] = [];
  for (const p of joined.split("/")) {
    if (p === "" || p === ".") continue;
    if (p === "..") parts.pop();
    else parts.push(p);
  }
  return "/" + parts.join("/");
}
