import { commitContainer } from "../container/commit.js";
import { parseReference } from "../image/reference.js";
import type { Engine } from "./engine.js";

// `commit`: a container's changes as a new image on top of its own (the
// container is paused meanwhile unless told not to), named if a repository
// is given. Runs inside skiff's namespace, where the upper dir is readable.

export interface CommitRequest {
  repo?: string;
  author?: string;
  message?: string;
  /** Dockerfile instructions applied to the config (--change). */
  changes?: string[];
  pause?: boolean;
}

export async function commit(engine: Engine, container: string, req: CommitRequest = {}): Promise<string> {
  const names = req.repo ? [parseReference(req.repo).toString()] : [];
  return commitContainer(
    { images: engine.images, blobs: engine.blobs, layers: engine.layers, locks: engine.locks, containers: engine.containers },
    container,
    { author: req.author, message: req.message, changes: req.changes ?? [], pause: req.pause !== false, names },
  );
}
