import { restartPolicy, type HostConfigBody } from "../container/create-body.js";
import { probeCgroups } from "../runtime/cgroups.js";
import type { Engine } from "./engine.js";

// `update`: what can change on an existing container. The restart policy
// can (for the next start, and for a running container when its process
// next exits); resource limits cannot, since skiff enforces none (no
// delegated cgroup: DESIGN.md §6), and Docker's daemon answers limits it
// cannot apply with warnings, not errors, so the same is done here.

export interface UpdateRequest {
  RestartPolicy?: HostConfigBody["RestartPolicy"];
  /** The resource fields asked for (Docker's container.Resources), by name; zero values mean "leave as is". */
  resources?: Record<string, unknown>;
}

export interface UpdateResult {
  warnings: string[];
}

/** Fields of Docker's update body that only carry a value when set (zero, "", null and [] mean unchanged). */
function isSet(v: unknown): boolean {
  if (v === null || v === undefined || v === 0 || v === "" || v === false) return false;
  if (Array.isArray(v)) return v.length > 0;
  if (typeof v === "object") return Object.keys(v).length > 0;
  return true;
}

export function updateContainer(engine: Engine, name: string, req: UpdateRequest): UpdateResult {
  const view = engine.containers.get(name);
  const asked = Object.entries(req.resources ?? {}).filter(([, v]) => isSet(v)).map(([k]) => k);
  const warnings: string[] = [];
  if (asked.length) {
    const why = probeCgroups().delegated ? "skiff does not apply cgroup limits yet" : "no delegated cgroup v2 subtree for this user, so resource limits cannot be enforced rootless here (skiff info)";
    warnings.push(`${asked.join(", ")} not updated: ${why}`);
  }
  // Docker's update without a policy (an empty Name) leaves the policy as it is.
  if (req.RestartPolicy?.Name) engine.containers.updateRestartPolicy(view.record.Id, restartPolicy(req.RestartPolicy));
  return { warnings };
}
