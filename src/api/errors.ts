import { asSkiffError, SkiffError } from "../errors.js";
import { RegistryError } from "../registry/errors.js";

// Errors become HTTP answers with moby's body, {"message": …}: clients map
// the status (404 not found, 409 conflict, 400 bad parameter, 500 the rest:
// docker CLI errdefs, docker-py's NotFound/APIError, dockerode's statusCode),
// and print the message. SkiffError already carries its status; anything
// else is a 500. The hint, skiff's one-line fix, follows the message on its
// own line so that the docker CLI shows it too.

/** Thrown by a handler when the request asks for a state that already holds (start on a running container): 304, no body. */
export class NotModified extends Error {
  constructor() {
    super("not modified");
    this.name = "NotModified";
  }
}

const KNOWN_STATUS = /^[1-5]\d\d$/;

export function errorStatus(err: unknown): number {
  if (err instanceof NotModified) return 304;
  const status = err instanceof SkiffError ? err.status : asSkiffError(err).status;
  return KNOWN_STATUS.test(String(status)) ? status : 500;
}

export function errorMessage(err: unknown): string {
  const e = asSkiffError(err);
  return e.hint ? `${e.message}\nHint: ${e.hint}` : e.message;
}

/** moby's common.ErrorResponse. */
export function errorBody(err: unknown): { message: string } {
  return { message: errorMessage(err) };
}

/**
 * A registry's 401 or 403, met while the engine pulls for a client, is not
 * the engine refusing that client: answered as 401 it would make the docker
 * CLI prompt for a Docker Hub login and retry. moby answers a registry's
 * DENIED as 404 ("pull access denied … may require 'docker login'") and any
 * other refusal as 500, and so does this.
 */
export function registryRefusalForClient(err: unknown): unknown {
  if (!(err instanceof SkiffError) || (err.status !== 401 && err.status !== 403)) return err;
  const denied = err instanceof RegistryError && err.registryCode === "DENIED";
  return new SkiffError(err.message, { hint: err.hint, code: err.codeIsExplicit ? err.code : undefined, status: denied ? 404 : 500, cause: err });
}
