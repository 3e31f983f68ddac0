import { SyntaxProblem } from "./errors.js";
import { exposedPorts } from "./ports.js";
import { parseMount, type RunMount } from "./mount.js";
import { expandString, expandWords, type Env } from "./shell.js";
import type { EscapeToken, Instruction, KeyValue } from "./types.js";

// Which parts of which instruction the builder expands, against the
// environment of the step (BuildKit's SupportsSingleWordExpansion):
// ADD COPY ENV EXPOSE LABEL STOPSIGNAL USER VOLUME WORKDIR, plus RUN --mount
// values and COPY/ADD --chown/--chmod/--checksum. RUN, CMD, ENTRYPOINT,
// SHELL, HEALTHCHECK and MAINTAINER are left for the shell, ONBUILD for the
// build that triggers it, FROM and ARG are handled by the stage logic.
// Each argument word is expanded as one string: a COPY source `$FILES` whose
// value has spaces stays one path, as in Docker. EXPOSE alone splits words,
// and its ports come out as the config's "port/proto" keys.
// https://docs.docker.com/reference/dockerfile/#environment-replacement

/** COPY --from is resolved before any stage runs, so it cannot use variables (or escapes). */
export function checkStaticFrom(from: string, escape: EscapeToken): void {
  if (expandString(from, new Map(), { escape }) !== from)
    throw new SyntaxProblem("variable expansion is not supported for --from, define a new stage with FROM using ARG from global scope as a workaround");
}

/** An instruction with its variables expanded; RUN also gets its parsed mounts. */
export type Expanded<I extends Instruction = Instruction> = I & { runMounts?: RunMount[] };

export function expandInstruction<I extends Instruction>(ins: I, env: Env, escape: EscapeToken): Expanded<I> {
  return expandAny(ins, env, escape) as Expanded<I>;
}

function expandAny(ins: Instruction, env: Env, escape: EscapeToken): Expanded {
  const one = (s: string) => expandString(s, env, { escape });
  const opt = (s: string | undefined) => (s === undefined ? undefined : one(s));
  // Here-document bodies: only `$` is special; quotes are text, `\` escapes whatever the directive says.
  const body = (s: string) => expandString(s, env, { escape: "\\", skipQuotes: true });
  const pairs = (list: KeyValue[]) => list.map((p) => ({ ...p, key: one(p.key), value: one(p.value) }));
  switch (ins.keyword) {
    case "ENV":
    case "LABEL":
      return { ...ins, pairs: pairs(ins.pairs) };
    case "COPY":
    case "ADD": {
      if (ins.keyword === "COPY" && ins.from !== undefined) checkStaticFrom(ins.from, escape);
      const out = {
        ...ins,
        sources: ins.sources.map(one),
        dest: one(ins.dest),
        inline: ins.inline.map((s) => (s.expand ? { ...s, data: body(s.data) } : s)),
        chown: opt(ins.chown),
        chmod: opt(ins.chmod),
      };
      if (out.keyword === "ADD") out.checksum = opt(out.checksum);
      return out;
    }
    case "EXPOSE":
      return { ...ins, ports: exposedPorts(ins.ports.flatMap((p) => expandWords(p, env, { escape }))) };
    case "VOLUME": {
      const volumes = ins.volumes.map(one);
      if (volumes.some((v) => v === "")) throw new SyntaxProblem("VOLUME specified can not be an empty string");
      return { ...ins, volumes };
    }
    case "USER":
      return { ...ins, user: one(ins.user) };
    case "WORKDIR":
      return { ...ins, path: one(ins.path) };
    case "STOPSIGNAL":
      return { ...ins, signal: one(ins.signal) };
    case "RUN":
      return { ...ins, runMounts: ins.mounts.map((m) => parseMount(m, one)) };
    default:
      return { ...ins };
  }
}
