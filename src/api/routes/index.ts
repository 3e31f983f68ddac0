import type { Route } from "../router.js";
import { containerArchiveRoutes } from "./container-archive.js";
import { containerStreamRoutes } from "./container-streams.js";
import { containerRoutes } from "./containers.js";
import { execRoutes } from "./exec.js";
import { networkRoutes } from "./networks.js";
import { systemRoutes, type SystemDeps } from "./system.js";
import { unsupportedRoutes } from "./unsupported.js";

// Every endpoint the service serves, one module per area as moby's
// daemon/server/router/* lists them. Container, image, volume, network and
// exec endpoints join here as their engine verbs land.

export type RouteDeps = SystemDeps;

export function apiRoutes(deps: RouteDeps): Route[] {
  const containers = [...containerRoutes(deps.engine), ...containerStreamRoutes(deps.engine), ...containerArchiveRoutes(deps.engine), ...execRoutes(deps.engine), ...networkRoutes(deps.engine)];
  return [...systemRoutes(deps), ...containers, ...unsupportedRoutes()];
}
