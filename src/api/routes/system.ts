import { cpus, hostname, machine, totalmem } from "node:os";
import type { Engine } from "../../engine/engine.js";
import { collectHostInfo } from "../../engine/info.js";
import { loginHost, verifyLogin } from "../../engine/login.js";
import { nativeProgram } from "../../config/install.js";
import { InvalidArgumentError } from "../../errors.js";
import type { NamespaceFacts } from "../../userns/probe.js";
import { VERSION } from "../../version.js";
import type { ApiCall } from "../call.js";
import { authConfigCredentials } from "../registry-auth.js";
import { sendText } from "../response.js";
import type { Route } from "../router.js";
import { engineId, infoBody, readOsRelease } from "../system-info.js";
import { versionInfo } from "../../engine/version.js";

// _ping, version, info and auth (moby daemon/server/router/system).

export interface SystemDeps {
  engine: Engine;
  /** The user's facts as seen outside skiff's user namespace (see engine/info.ts). */
  namespace?: NamespaceFacts;
}

/**
 * The docker CLI pings (HEAD first) before every command and takes the API
 * version, the OS type and the builder from these headers.
 * Builder-Version 1 is the classic builder: "2" would send clients to
 * BuildKit's /session, which skiff does not serve.
 */
async function ping(c: ApiCall): Promise<void> {
  c.res.setHeader("Cache-Control", "no-cache, no-store, must-revalidate");
  c.res.setHeader("Pragma", "no-cache");
  c.res.setHeader("Builder-Version", "1");
  c.res.setHeader("Swarm", "inactive");
  if (c.method === "HEAD") {
    c.res.writeHead(200, { "Content-Type": "text/plain; charset=utf-8", "Content-Length": 0 });
    c.res.end();
    return;
  }
  sendText(c.res, 200, "OK");
}

export function systemRoutes(deps: SystemDeps): Route[] {
  const { engine } = deps;
  return [
    { method: "GET", path: "/_ping", handle: ping },
    { method: "HEAD", path: "/_ping", handle: ping },
    { method: "GET", path: "/version", handle: async (c) => c.send(200, versionInfo()) },
    {
      method: "GET",
      path: "/info",
      handle: async (c) => {
        const host = await collectHostInfo(engine, VERSION, { namespace: deps.namespace });
        const containers = engine.containers.list();
        c.send(
          200,
          infoBody({
            host,
            containers: {
              total: containers.length,
              running: containers.filter((v) => v.state.Running && !v.state.Paused).length,
              paused: containers.filter((v) => v.state.Paused).length,
            },
            images: engine.images.list().length,
            hostname: hostname(),
            ncpu: cpus().length,
            memTotal: totalmem(),
            machine: machine(),
            os: readOsRelease(),
            id: engineId(engine.config.paths.storageRoot),
            runtimePath: nativeProgram("skiff-runtime"),
            debug: engine.options.logLevel === "debug",
          }),
        );
      },
    },
    {
      // `docker login`: check the credentials with the registry. As with Docker's daemon the client keeps them.
      method: "POST",
      path: "/auth",
      handle: async (c) => {
        const body = await c.json<Record<string, unknown>>({ username: "string", password: "string", serveraddress: "string", identitytoken: "string", registrytoken: "string" });
        const auth = authConfigCredentials(body ?? {}, "auth");
        if (!auth) throw new InvalidArgumentError("no credentials given: username and password, or an identity token", "give them to docker login (-u USER --password-stdin)");
        const server = typeof body?.serveraddress === "string" ? body.serveraddress : undefined;
        await verifyLogin(engine, loginHost(engine, server), auth.credentials);
        c.send(200, { Status: "Login Succeeded" });
      },
    },
  ];
}
