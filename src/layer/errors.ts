import { SkiffError } from "../errors.js";
import { displayPath } from "./paths.js";

// Errors of the layer room. A layer tar comes from an image: when one is
// refused, the message names the entry and the reason, and nothing has been
// written outside the destination.

const BAD_IMAGE_HINT = "the image's layer is malformed or hostile; do not use it, and report it to its publisher";

/** The tar stream itself is broken: bad checksum, truncated, oversized header. */
export class LayerFormatError extends SkiffError {
  constructor(message: string, hint = BAD_IMAGE_HINT) {
    super(`invalid layer tar: ${message}`, { hint, status: 500 });
  }
}

/** An entry would write outside the layer or through a link: refused. */
export class UnsafeLayerEntryError extends SkiffError {
  readonly entry: string;
  constructor(entry: string, reason: string) {
    super(`refusing layer entry ${displayPath(entry)}: ${reason}`, { hint: BAD_IMAGE_HINT, status: 500 });
    this.entry = entry;
  }
}

/** The image uses an owner id outside the subordinate range mapped into the namespace. */
export class UnmappedOwnerError extends SkiffError {
  constructor(entry: string, kind: "uid" | "gid", id: number, mapped: number | undefined) {
    const file = kind === "uid" ? "/etc/subuid" : "/etc/subgid";
    super(
      `cannot give layer entry ${displayPath(entry)} owner ${kind} ${id}: ` +
        `that ${kind} is not mapped into skiff's user namespace${mapped !== undefined ? ` (ids 0-${mapped - 1} are)` : ""}`,
      {
        hint: `give your user a larger subordinate range in ${file} (at least ${id + 1} ids, e.g. "$USER:100000:${Math.max(65536, 2 ** Math.ceil(Math.log2(id + 1)))}"), then run \`skiff system migrate\``,
        status: 500,
      },
    );
  }
}
