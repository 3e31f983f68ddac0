import type { Route } from "../router.js";
import { buildRoutes } from "./build.js";
import { diskUsageRoutes } from "./disk-usage.js";
import { eventRoutes } from "./events.js";
import { imageRoutes } from "./images.js";
import { systemRoutes, type SystemDeps } from "./system.js";
import { unsupportedRoutes } from "./unsupported.js";
import { volumeRoutes } from "./volumes.js";

// Every endpoint the service serves, one module per area as moby's
// daemon/server/router/* lists them. Container, network and exec endpoints
// join here as their engine verbs land.

export type RouteDeps = SystemDeps;

export function apiRoutes(deps: RouteDeps): Route[] {
  return [...systemRoutes(deps), ...imageRoutes(deps.engine), ...buildRoutes(deps.engine), ...volumeRoutes(deps.engine), ...eventRoutes(deps.engine), ...diskUsageRoutes(deps.engine), ...unsupportedRoutes()];
}
