import type { ContainerCreateBody } from "../container/create-body.js";
import type { Progress } from "../image/transport.js";
import { probeCgroups } from "../runtime/cgroups.js";
import type { Engine } from "./engine.js";
import { checkPullPolicy, ensureImage } from "./pull.js";

// `create` (and the first half of `run`): the image present (pulled if
// missing, by the pull policy), the record written, its volumes made (so
// --volumes-from names real containers, as in Docker), and the warnings
// Docker's daemon returns with the new id. A failure leaves nothing behind.

export interface CreateOptions {
  /** Pull policy; the API server uses "never" (the docker CLI pulls itself on "No such image"). */
  pull?: string;
  /** Where a pull's progress goes (Docker's JSON messages). */
  progress?: Progress;
}

export interface Created {
  id: string;
  warnings: string[];
}

export interface CreateRequest {
  /** Docker's create body: what the docker CLI sends, and what skiff's CLI makes of its flags. */
  body: ContainerCreateBody;
  /** --name, the API's ?name=. */
  name?: string;
  /** --platform, the API's ?platform=: which image to pull when it is missing. */
  platform?: string;
}

export async function createContainer(engine: Engine, req: CreateRequest, opts: CreateOptions = {}): Promise<Created> {
  await ensureImage(engine, req.body.Image, { pull: checkPullPolicy(opts.pull ?? "missing"), platform: req.platform }, opts.progress);
  const warnings = [storageDriverWarning(engine), ...resourceWarnings(req.body), hostPortsWarning(req.body), logDriverWarning(req.body)].filter((w): w is string => Boolean(w));
  const record = await engine.containers.create(req.body, { name: req.name }, engine.storageDriver);
  try {
    engine.volumes.prepare(record);
  } catch (e) {
    await engine.containers.remove(record.Id, { force: true }).catch(() => {});
    throw e;
  }
  return { id: record.Id, warnings };
}

/** Said once per container created, when fuse-overlayfs was wanted by default but cannot be used. */
function storageDriverWarning(engine: Engine): string | undefined {
  if (engine.storageDriver !== "vfs" || engine.options.storageDriver || engine.config.storageDriver) return undefined;
  return "fuse-overlayfs cannot be used here (skiff info says why): using the vfs storage driver, which copies the image for each container";
}

/** One warning per limit that cannot be enforced here (no delegated cgroup v2), as Podman does. */
function resourceWarnings(body: ContainerCreateBody): string[] {
  const hc = body.HostConfig ?? {};
  const asked = [hc.Memory && "--memory", hc.NanoCpus && "--cpus", hc.PidsLimit && hc.PidsLimit > 0 && "--pids-limit"].filter(Boolean);
  if (!asked.length) return [];
  // Limits are never dropped silently: with a delegated subtree they are still not applied.
  if (probeCgroups().delegated) return [`${asked.join(", ")} ignored: skiff does not apply cgroup limits yet, although this host delegates a cgroup v2 subtree`];
  return [`${asked.join(", ")} ignored: no delegated cgroup v2 subtree for this user, so resource limits cannot be enforced rootless here (skiff info)`];
}

/** Docker's words for -p/-P with the host's network, where nothing is forwarded. */
function hostPortsWarning(body: ContainerCreateBody): string | undefined {
  const hc = body.HostConfig ?? {};
  return hc.NetworkMode === "host" && (Object.keys(hc.PortBindings ?? {}).length > 0 || hc.PublishAllPorts) ? "Published ports are discarded when using host network mode" : undefined;
}

/**
 * The container's monitor writes Docker's json-file log and nothing else; a
 * client that asks for another driver (compose files often say "local" or
 * "syslog") gets its container, with the log where `logs` reads it.
 */
function logDriverWarning(body: ContainerCreateBody): string | undefined {
  const type = body.HostConfig?.LogConfig?.Type;
  if (!type || type === "json-file") return undefined;
  return `log driver "${type}" is not supported: skiff keeps a json-file log, which docker logs reads`;
}
