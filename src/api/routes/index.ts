import type { Route } from "../router.js";
import { buildRoutes } from "./build.js";
import { containerArchiveRoutes } from "./container-archive.js";
import { containerStreamRoutes } from "./container-streams.js";
import { containerRoutes } from "./containers.js";
import { diskUsageRoutes } from "./disk-usage.js";
import { eventRoutes } from "./events.js";
import { execRoutes } from "./exec.js";
import { imageRoutes } from "./images.js";
import { networkRoutes } from "./networks.js";
import { systemRoutes, type SystemDeps } from "./system.js";
import { unsupportedRoutes } from "./unsupported.js";
import { volumeRoutes } from "./volumes.js";

// Every endpoint the service serves, one module per area as moby's
// daemon/server/router/* lists them.

export type RouteDeps = SystemDeps;

export function apiRoutes(deps: RouteDeps): Route[] {
  const e = deps.engine;
  return [
    ...systemRoutes(deps),
    ...containerRoutes(e),
    ...containerStreamRoutes(e),
    ...containerArchiveRoutes(e),
    ...execRoutes(e),
    ...imageRoutes(e),
    ...buildRoutes(e),
    ...volumeRoutes(e),
    ...networkRoutes(e),
    ...eventRoutes(e),
    ...diskUsageRoutes(e),
    ...unsupportedRoutes(),
  ];
}
