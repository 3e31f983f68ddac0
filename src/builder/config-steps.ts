import type { Expanded, Instruction, StageScope } from "./dockerfile/index.js";
import { resolveWorkdir } from "./dockerfile/index.js";
import type { ContainerConfig } from "../image/types.js";

// The steps that change only the image config, and the history line the
// classic builder writes for each: the shell, "#(nop) ", then the
// instruction (`/bin/sh -c #(nop)  ENV A=1`; the two spaces are Docker's,
// from joining ["/bin/sh", "-c", "#(nop) ", "ENV A=1"]).

export const DEFAULT_SHELL = ["/bin/sh", "-c"];

/** Go's %q of a string slice: ["a" "b"]. */
export const goList = (xs: readonly string[]) => `[${xs.map((x) => JSON.stringify(x)).join(" ")}]`;

/** `/bin/sh -c #(nop)  TEXT`: a metadata step's created_by. */
export function nopLine(config: ContainerConfig, text: string): string {
  return [...(config.Shell ?? DEFAULT_SHELL), "#(nop) ", text].join(" ");
}

/** `/bin/sh -c #(nop) TEXT` (one space): WORKDIR, COPY and ADD, which the classic builder words differently. */
export function nopLineTight(config: ContainerConfig, text: string): string {
  return [...(config.Shell ?? DEFAULT_SHELL), `#(nop) ${text}`].join(" ");
}

export interface StageState {
  config: ContainerConfig;
  /** CMD was set in this stage (ENTRYPOINT then keeps it; otherwise it resets an inherited one). */
  cmdSet: boolean;
  author?: string;
}

const commandOf = (config: ContainerConfig, ins: { form: string; command: string[] }) =>
  ins.form === "exec" ? ins.command : [...(config.Shell ?? DEFAULT_SHELL), ins.command[0] ?? ""];

/**
 * Apply a metadata instruction (already expanded and, for ARG/ENV, applied
 * to the scope): the new config and the step's history line. Undefined for
 * RUN, COPY, ADD and FROM.
 */
export function configStep(state: StageState, ins: Expanded<Instruction>, scope: StageScope): { config: ContainerConfig; createdBy: string } | undefined {
  const c: ContainerConfig = { ...state.config };
  switch (ins.keyword) {
    case "ENV":
      c.Env = [...scope.imageEnv].map(([k, v]) => `${k}=${v}`);
      return { config: c, createdBy: nopLine(state.config, `ENV ${ins.pairs.map((p) => `${p.key}=${p.value}`).join(" ")}`) };
    case "ARG":
      return { config: c, createdBy: nopLine(state.config, `ARG ${ins.definitions.map((d) => (d.value === undefined ? d.name : `${d.name}=${d.value}`)).join(" ")}`) };
    case "LABEL":
      c.Labels = { ...(c.Labels ?? {}) };
      for (const p of ins.pairs) c.Labels[p.key] = p.value;
      return { config: c, createdBy: nopLine(state.config, `LABEL ${ins.pairs.map((p) => `${p.key}=${p.value}`).join(" ")}`) };
    case "MAINTAINER":
      state.author = ins.maintainer;
      return { config: c, createdBy: nopLine(state.config, `MAINTAINER ${ins.maintainer}`) };
    case "EXPOSE":
      c.ExposedPorts = { ...(c.ExposedPorts ?? {}) };
      for (const p of ins.ports) c.ExposedPorts[p] = {};
      return { config: c, createdBy: nopLine(state.config, `EXPOSE ${ins.ports.join(" ")}`) };
    case "USER":
      c.User = ins.user;
      return { config: c, createdBy: nopLine(state.config, `USER ${ins.user}`) };
    case "WORKDIR":
      c.WorkingDir = resolveWorkdir(c.WorkingDir, ins.path);
      return { config: c, createdBy: nopLineTight(state.config, `WORKDIR ${c.WorkingDir}`) };
    case "CMD":
      c.Cmd = commandOf(c, ins);
      state.cmdSet = true;
      return { config: c, createdBy: nopLine(state.config, `CMD ${goList(c.Cmd)}`) };
    case "ENTRYPOINT":
      c.Entrypoint = commandOf(c, ins);
      // An inherited CMD does not survive a new ENTRYPOINT (Docker resets it).
      if (!state.cmdSet) c.Cmd = null;
      return { config: c, createdBy: nopLine(state.config, `ENTRYPOINT ${goList(c.Entrypoint)}`) };
    case "VOLUME":
      c.Volumes = { ...(c.Volumes ?? {}) };
      for (const v of ins.volumes) c.Volumes[v] = {};
      return { config: c, createdBy: nopLine(state.config, `VOLUME ${goList(ins.volumes)}`) };
    case "STOPSIGNAL":
      c.StopSignal = ins.signal;
      return { config: c, createdBy: nopLine(state.config, `STOPSIGNAL ${ins.signal}`) };
    case "SHELL":
      c.Shell = ins.shell;
      return { config: c, createdBy: nopLine(state.config, `SHELL ${goList(ins.shell)}`) };
    case "ONBUILD":
      c.OnBuild = [...(c.OnBuild ?? []), ins.expression];
      return { config: c, createdBy: nopLine(state.config, `ONBUILD ${ins.expression}`) };
    case "HEALTHCHECK": {
      const h: NonNullable<ContainerConfig["Healthcheck"]> & Record<string, unknown> = { Test: ins.test };
      if (ins.test[0] !== "NONE") {
        if (ins.interval) h.Interval = ins.interval;
        if (ins.timeout) h.Timeout = ins.timeout;
        if (ins.startPeriod) h.StartPeriod = ins.startPeriod;
        if (ins.startInterval) h.StartInterval = ins.startInterval;
        if (ins.retries) h.Retries = ins.retries;
      }
      c.Healthcheck = h;
      return { config: c, createdBy: nopLine(state.config, `HEALTHCHECK ${goList(ins.test)}`) };
    }
    default:
      return undefined;
  }
}
