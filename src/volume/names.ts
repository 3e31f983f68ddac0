import { createHash, randomBytes } from "node:crypto";
import { InvalidArgumentError } from "../errors.js";
import type { ContainerRecord, MountSpec } from "../container/record.js";

// Volume names. A name becomes a directory under <storage>/volumes, so it
// must not be able to leave it: Docker's local driver allows
// [a-zA-Z0-9][a-zA-Z0-9_.-]* and says so in this exact message
// (moby volume/local/local.go, validateName).

const VALID_NAME = /^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/;

/** Docker's label marking a volume that no one named (`-v /path`, an image VOLUME). */
export const ANONYMOUS_LABEL = "com.docker.volume.anonymous";

export function checkVolumeName(name: string): void {
  if (!VALID_NAME.test(name))
    throw new InvalidArgumentError(
      `create ${name}: "${name}" includes invalid characters for a local volume name, only "[a-zA-Z0-9][a-zA-Z0-9_.-]" are allowed. If you intended to pass a host directory, use absolute path`,
    );
}

/** A fresh name for an anonymous volume: 64 hex digits, as Docker's. */
export function newVolumeName(): string {
  return randomBytes(32).toString("hex");
}

/**
 * The volume a volume mount uses. Anonymous mounts get their name when the
 * container is created; a record written before that rule gets one derived
 * from the container and the path, so it stays the same at every start.
 */
export function volumeNameOf(record: ContainerRecord, m: MountSpec): string {
  if (m.Name) return m.Name;
  return createHash("sha256").update(`${record.Id}\0${m.Destination}`).digest("hex");
}
