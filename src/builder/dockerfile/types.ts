// The vocabulary of a parsed Dockerfile. Values are as written in the file
// (quotes and escapes still in place) unless a field says otherwise: variable
// expansion happens per build step, against that step's environment (see
// scope.ts), exactly as BuildKit defers it.
// https://docs.docker.com/reference/dockerfile/

/** A builder flag such as `--from=build` (value "build") or `--link` (no value). */
export interface Flag {
  name: string;
  value: string | undefined;
}

/** A here-document attached to RUN, COPY or ADD (`<<EOF` … `EOF`). */
export interface Heredoc {
  /** The delimiter word with quotes removed; for COPY/ADD also the file name. */
  name: string;
  /** `3<<EOF` redirects file descriptor 3; 0 when not given. */
  fd: number;
  /** False when any part of the delimiter was quoted (`<<'EOF'`, `<<E"O"F`). */
  expand: boolean;
  /** `<<-EOF`: leading tabs are stripped from the body and the delimiter line. */
  chomp: boolean;
  /** The body exactly as read, each line with its line ending, tabs not yet stripped. */
  content: string;
}

export type EscapeToken = "\\" | "`";

export interface Directive {
  name: string;
  value: string;
  line: number;
}

export interface Directives {
  escape: EscapeToken;
  syntax?: string;
  check?: string;
  /** Every directive found, in order. */
  list: Directive[];
}

export interface ParseWarning {
  message: string;
  line: number;
  url?: string;
}

export type Keyword =
  | "ADD" | "ARG" | "CMD" | "COPY" | "ENTRYPOINT" | "ENV" | "EXPOSE" | "FROM" | "HEALTHCHECK" | "LABEL"
  | "MAINTAINER" | "ONBUILD" | "RUN" | "SHELL" | "STOPSIGNAL" | "USER" | "VOLUME" | "WORKDIR";

/** What every instruction carries. */
export interface InstructionBase {
  keyword: Keyword;
  /** Builder flags in the order written. */
  flags: Flag[];
  /** The argument text after the flags, trimmed. */
  args: string;
  /** First and last line (1-based) in the file, here-document bodies included. */
  startLine: number;
  endLine: number;
  /** The logical line: continuations joined, comments inside them dropped (BuildKit's "original"). */
  original: string;
  /** The exact source lines startLine..endLine. */
  source: string;
  heredocs: Heredoc[];
  /** Comment lines just above the instruction, without the "#". */
  comments: string[];
}

/** Exec form is a JSON array; shell form is one string run by the SHELL. */
export type CommandForm = "exec" | "shell";

export interface FromInstruction extends InstructionBase {
  keyword: "FROM";
  /** Image reference, stage name or "scratch", unexpanded. */
  image: string;
  /** The `AS` name, lower-cased (stage names are case-insensitive). */
  stageName?: string;
  platform?: string;
}

export interface ArgDefinition {
  name: string;
  /** The default, unexpanded; undefined when the ARG has no "=". */
  value?: string;
}

export interface ArgInstruction extends InstructionBase {
  keyword: "ARG";
  definitions: ArgDefinition[];
}

export interface KeyValue {
  key: string;
  value: string;
  /** Written in the legacy `ENV key value` form. */
  legacy: boolean;
}

export interface EnvInstruction extends InstructionBase {
  keyword: "ENV";
  pairs: KeyValue[];
}

export interface LabelInstruction extends InstructionBase {
  keyword: "LABEL";
  pairs: KeyValue[];
}

export interface CommandInstruction extends InstructionBase {
  form: CommandForm;
  /** Exec form: the array. Shell form: one element, the command text. */
  command: string[];
}

export interface RunInstruction extends CommandInstruction {
  keyword: "RUN";
  /** Raw `--mount` values (see mount.ts). */
  mounts: string[];
  network?: string;
  security?: string;
  devices: string[];
}

export interface CmdInstruction extends CommandInstruction {
  keyword: "CMD";
}

export interface EntrypointInstruction extends CommandInstruction {
  keyword: "ENTRYPOINT";
}

export interface ShellInstruction extends InstructionBase {
  keyword: "SHELL";
  shell: string[];
}

/** A COPY/ADD source written as a here-document: a file made from its body. */
export interface InlineSource {
  /** The file name (the heredoc delimiter). */
  path: string;
  /** The body, with leading tabs already stripped for `<<-`. */
  data: string;
  /** Whether the body gets variable expansion (unquoted delimiter). */
  expand: boolean;
}

export interface CopyCommon extends InstructionBase {
  sources: string[];
  inline: InlineSource[];
  dest: string;
  form: CommandForm;
  chown?: string;
  chmod?: string;
  link: boolean;
  exclude: string[];
}

export interface CopyInstruction extends CopyCommon {
  keyword: "COPY";
  from?: string;
  parents: boolean;
}

export interface AddInstruction extends CopyCommon {
  keyword: "ADD";
  checksum?: string;
  keepGitDir?: boolean;
  unpack?: boolean;
}

export interface ExposeInstruction extends InstructionBase {
  keyword: "EXPOSE";
  ports: string[];
}

export interface VolumeInstruction extends InstructionBase {
  keyword: "VOLUME";
  form: CommandForm;
  volumes: string[];
}

export interface UserInstruction extends InstructionBase {
  keyword: "USER";
  user: string;
}

export interface WorkdirInstruction extends InstructionBase {
  keyword: "WORKDIR";
  path: string;
}

export interface StopSignalInstruction extends InstructionBase {
  keyword: "STOPSIGNAL";
  signal: string;
}

export interface MaintainerInstruction extends InstructionBase {
  keyword: "MAINTAINER";
  maintainer: string;
}

/** Durations are in nanoseconds, as the image config stores them. */
export interface HealthcheckInstruction extends InstructionBase {
  keyword: "HEALTHCHECK";
  /** ["NONE"], ["CMD", ...exec] or ["CMD-SHELL", text]: the image config's Healthcheck.Test. */
  test: string[];
  interval?: number;
  timeout?: number;
  startPeriod?: number;
  startInterval?: number;
  retries?: number;
}

export interface OnbuildInstruction extends InstructionBase {
  keyword: "ONBUILD";
  trigger: Instruction;
  /** The trigger as stored in the image config's OnBuild list. */
  expression: string;
}

export type Instruction =
  | FromInstruction | ArgInstruction | EnvInstruction | LabelInstruction | RunInstruction | CmdInstruction
  | EntrypointInstruction | ShellInstruction | CopyInstruction | AddInstruction | ExposeInstruction
  | VolumeInstruction | UserInstruction | WorkdirInstruction | StopSignalInstruction | MaintainerInstruction
  | HealthcheckInstruction | OnbuildInstruction;

export interface ParsedDockerfile {
  fileName: string;
  directives: Directives;
  escape: EscapeToken;
  instructions: Instruction[];
  warnings: ParseWarning[];
}

/** A build stage, from one FROM to the next (planned in stages.ts). */
export type StageBase = { kind: "scratch" } | { kind: "stage"; index: number } | { kind: "image"; ref: string };

export interface Stage {
  index: number;
  /** The `AS` name, lower-cased. */
  name?: string;
  /** How Docker shows the stage: its name, or "stage-N". */
  label: string;
  from: FromInstruction;
  /** The FROM argument with global ARGs expanded, resolved. */
  base: StageBase;
  /** `FROM --platform=…`, expanded. */
  platform?: string;
  /** ONBUILD triggers of the parent stage, which run before this stage's own instructions. */
  triggers: Instruction[];
  instructions: Instruction[];
  /** Stages this one needs (base, COPY --from, RUN --mount from), by index, ascending. */
  dependsOn: number[];
  /** Images read by COPY --from or RUN --mount from (not the base). */
  images: string[];
}
