// One error family for the whole engine. `code` is the process exit code the
// CLI uses, following Docker's conventions:
//   125 the engine itself failed, 126 the command cannot be invoked,
//   127 the command (or the thing named) was not found.
// Docker's CLI exits 125 for engine errors only in the commands that run a
// container (run, create, start, exec) and for bad flags; other commands exit
// 1. An error that does not fix its code (`codeIsExplicit` false) therefore
// takes the command's default; set-up errors always exit 125.
// `hint` is a single line telling the user how to fix it; the CLI prints it
// under the message, the API sends it with the message.

export const EXIT_ENGINE = 125;
export const EXIT_CANNOT_INVOKE = 126;
export const EXIT_NOT_FOUND = 127;

export class SkiffError extends Error {
  readonly code: number;
  readonly codeIsExplicit: boolean;
  readonly hint?: string;
  /** HTTP status for the Docker API face. */
  readonly status: number;
  /** Already told to the user (by a child skiff process): exit with the code, print nothing more. */
  readonly reported: boolean;

  constructor(message: string, opts: { code?: number; hint?: string; status?: number; cause?: unknown; reported?: boolean } = {}) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.name = new.target.name;
    this.code = opts.code ?? EXIT_ENGINE;
    this.codeIsExplicit = opts.code !== undefined;
    this.hint = opts.hint;
    this.status = opts.status ?? 500;
    this.reported = opts.reported ?? false;
  }
}

/** A named object (image, container, volume, layer, blob) does not exist. */
export class NotFoundError extends SkiffError {
  constructor(message: string, hint?: string) {
    super(message, { hint, status: 404 });
  }
}

/** The request conflicts with the current state (name in use, image in use). */
export class ConflictError extends SkiffError {
  constructor(message: string, hint?: string) {
    super(message, { hint, status: 409 });
  }
}

/** The user's input is malformed (reference, flag value, Dockerfile, tar). */
export class InvalidArgumentError extends SkiffError {
  constructor(message: string, hint?: string) {
    super(message, { hint, status: 400 });
  }
}

/** The host is missing something skiff needs (newuidmap, subuid ranges, /dev/fuse). */
export class HostSetupError extends SkiffError {
  constructor(message: string, hint: string) {
    super(message, { code: EXIT_ENGINE, hint, status: 500 });
  }
}

/** Content did not match its digest: refused, nothing kept. */
export class DigestMismatchError extends SkiffError {
  constructor(what: string, expected: string, actual: string) {
    super(`${what}: digest mismatch: expected ${expected}, got ${actual}`, {
      hint: "the source is corrupt or was changed in transit; try again, and check the source if it repeats",
      status: 500,
    });
  }
}

/**
 * Work stopped because whoever asked for it went away (an API client that
 * hung up mid-pull or mid-build). 499 is nginx's "client closed request":
 * nobody reads the answer, and the API server does not count it as a failure.
 */
export class CancelledError extends SkiffError {
  constructor(what: string) {
    super(`${what} was cancelled: its client went away`, { status: 499 });
  }
}

/** Turn any thrown value into a SkiffError, keeping errno-style causes readable. */
export function asSkiffError(err: unknown): SkiffError {
  if (err instanceof SkiffError) return err;
  const e = err as NodeJS.ErrnoException;
  if (e && typeof e === "object" && typeof e.code === "string" && e.syscall) {
    if (e.code === "ENOSPC")
      return new SkiffError(`no space left on device${e.path ? `: ${e.path}` : ""}`, {
        hint: "free some space (skiff system prune) or move storage.root in skiff.conf to a larger filesystem",
        cause: err,
      });
    if (e.code === "EACCES" || e.code === "EPERM")
      return new SkiffError(`${e.syscall} ${e.path ?? ""}: permission denied`.replace("  ", " "), {
        hint: "check the ownership of skiff's storage and runtime directories (skiff info lists them)",
        cause: err,
      });
    return new SkiffError(`${e.syscall}${e.path ? ` ${e.path}` : ""}: ${e.message}`, { cause: err });
  }
  return new SkiffError(err instanceof Error ? err.message : String(err), { cause: err });
}
