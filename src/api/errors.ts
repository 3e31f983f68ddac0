import { asSkiffError, SkiffError } from "../errors.js";

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
