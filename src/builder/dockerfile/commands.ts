import { parseGoDuration } from "../../duration.js";
import { SyntaxProblem } from "./errors.js";
import { checkFlags, type FlagValues } from "./flags.js";
import { parseJsonArray } from "./json-form.js";
import { checkMountSyntax } from "./mount.js";
import type { CmdInstruction, EntrypointInstruction, HealthcheckInstruction, InstructionBase as Head, RunInstruction, ShellInstruction } from "./types.js";
import { isSpace } from "./words.js";

// The instructions that carry a command: RUN, CMD, ENTRYPOINT, SHELL and
// HEALTHCHECK. None of them is expanded by the builder; the shell does that.
// https://docs.docker.com/reference/dockerfile/#shell-and-exec-form

const NETWORKS = new Set(["default", "none", "host"]);
const SECURITY = new Set(["sandbox", "insecure"]);

/** Exec form when the text is a JSON array of strings, else one shell string. */
function commandForm(args: string): { form: "exec" | "shell"; command: string[] } {
  const json = parseJsonArray(args);
  if (json) return { form: "exec", command: json };
  return { form: "shell", command: args === "" ? [] : [args] };
}

export function commandInstruction(head: Head, keyword: "RUN" | "CMD" | "ENTRYPOINT"): RunInstruction | CmdInstruction | EntrypointInstruction {
  const flags = checkFlags(keyword, head.flags);
  const { form, command } = commandForm(head.args);
  if (keyword !== "RUN") return { ...head, keyword, form, command };
  const network = flags.string("network");
  if (network !== undefined && !NETWORKS.has(network)) throw new SyntaxProblem(`invalid network mode ${JSON.stringify(network)}`);
  const security = flags.string("security");
  if (security !== undefined && !SECURITY.has(security)) throw new SyntaxProblem(`security ${JSON.stringify(security)} is not valid`);
  const mounts = flags.list("mount");
  for (const m of mounts) checkMountSyntax(m);
  return { ...head, keyword, form, command, mounts, network, security, devices: flags.list("device") };
}

export function shellInstruction(head: Head): ShellInstruction {
  checkFlags("SHELL", head.flags);
  const json = parseJsonArray(head.args);
  if (json?.length === 0 || (!json && head.args === "")) throw new SyntaxProblem("SHELL requires at least one argument");
  if (!json) throw new SyntaxProblem("SHELL requires the arguments to be in JSON form");
  return { ...head, keyword: "SHELL", shell: json };
}

/**
 * `HEALTHCHECK NONE` or `HEALTHCHECK [--interval=… …] CMD command`.
 * https://docs.docker.com/reference/dockerfile/#healthcheck
 */
export function healthcheckInstruction(head: Head): HealthcheckInstruction {
  const { args } = head;
  let sep = 0;
  while (sep < args.length && !isSpace(args[sep])) sep++;
  if (sep === 0) throw new SyntaxProblem("HEALTHCHECK requires at least one argument");
  let next = sep;
  while (next < args.length && isSpace(args[next])) next++;
  const type = args.slice(0, sep).toUpperCase();
  const rest = args.slice(next);
  if (type === "NONE") {
    // Docker reads no flags for NONE, so flags given with it are ignored.
    if (rest !== "") throw new SyntaxProblem("HEALTHCHECK NONE takes no arguments");
    return { ...head, keyword: "HEALTHCHECK", test: ["NONE"] };
  }
  const flags = checkFlags("HEALTHCHECK", head.flags);
  const { form, command } = commandForm(rest);
  if (type !== "CMD") throw new SyntaxProblem(`Unknown type ${JSON.stringify(type)} in HEALTHCHECK (try CMD)`);
  if (command.length === 0) throw new SyntaxProblem("Missing command after HEALTHCHECK CMD");
  const out: HealthcheckInstruction = {
    ...head,
    keyword: "HEALTHCHECK",
    test: form === "exec" ? ["CMD", ...command] : ["CMD-SHELL", command[0]!],
  };
  for (const [flag, field] of [["interval", "interval"], ["timeout", "timeout"], ["start-period", "startPeriod"], ["start-interval", "startInterval"]] as const) {
    const v = interval(flags, flag);
    if (v !== undefined) out[field] = v;
  }
  const retries = flags.string("retries");
  if (retries !== undefined && retries !== "") {
    if (!/^[+-]?\d+$/.test(retries) || Math.abs(Number(retries)) > 2 ** 31 - 1)
      throw new SyntaxProblem(`strconv.ParseInt: parsing ${JSON.stringify(retries)}: invalid syntax`);
    const n = Number(retries);
    if (n < 0) throw new SyntaxProblem(`--retries cannot be negative (${n})`);
    out.retries = n;
  }
  return out;
}

/** A HEALTHCHECK duration flag: unset, 0 (use the default), or at least 1ms. */
function interval(flags: FlagValues, name: string): number | undefined {
  const text = flags.string(name);
  if (text === undefined || text === "") return undefined;
  const ns = parseGoDuration(text);
  if (ns !== 0 && ns < 1e6) throw new SyntaxProblem(`Interval ${JSON.stringify(name)} cannot be less than 1ms`);
  return ns;
}
