import { InvalidArgumentError } from "../../errors.js";

/**
 * A template that does not parse or fails while executing. The message keeps
 * Go's shape ("template: :1:2: executing "" at <.Foo>: …") so scripts that
 * match Docker's errors keep working.
 */
export class TemplateError extends InvalidArgumentError {
  constructor(message: string) {
    super(message, "check the --format template; see https://docs.docker.com/go/formatting/");
  }
}
