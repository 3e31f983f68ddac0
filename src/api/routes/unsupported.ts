import { SkiffError } from "../../errors.js";
import type { Route } from "../router.js";

// Parts of the Engine API a rootless, daemonless engine has no use for,
// answered the way podman's compat API answers them so that clients fail
// fast with a reason: swarm with 503 (moby's status when the node is not a
// manager, which the docker CLI shows as is), plugins, distribution and
// BuildKit sessions with 404.

const METHODS = ["GET", "HEAD", "POST", "PUT", "DELETE"];

function refuse(prefixes: string[], error: () => SkiffError): Route[] {
  return prefixes.flatMap((prefix) =>
    METHODS.map((method) => ({
      method,
      path: `${prefix}{rest:(?:/.*)?}`,
      handle: async () => {
        throw error();
      },
    })),
  );
}

export function unsupportedRoutes(): Route[] {
  return [
    ...refuse(
      ["/swarm", "/services", "/nodes", "/tasks", "/secrets", "/configs"],
      () =>
        new SkiffError("This node is not a swarm manager: skiff has no swarm mode", {
          status: 503,
          hint: "run the services with docker-compose, or on a Docker or Kubernetes cluster",
        }),
    ),
    ...refuse(["/plugins"], () => new SkiffError("plugins are not supported by skiff", { status: 404 })),
    ...refuse(["/distribution"], () => new SkiffError("distribution inspect is not supported by skiff", { status: 404, hint: "inspect the image's manifest with skopeo inspect" })),
    ...refuse(
      ["/session", "/grpc"],
      () => new SkiffError("BuildKit sessions are not supported by skiff", { status: 404, hint: "build with the classic builder: DOCKER_BUILDKIT=0" }),
    ),
  ];
}
