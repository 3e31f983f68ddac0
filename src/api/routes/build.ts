import { build, type BuildRequest } from "../../engine/build.js";
import type { Engine } from "../../engine/engine.js";
import { InvalidArgumentError } from "../../errors.js";
import type { ApiCall } from "../call.js";
import type { Route } from "../router.js";

// POST /build, the classic builder (moby daemon/server/router/build): the
// body is the context tar (plain, gzip, bzip2 or xz), streamed into the
// build; the answer is the builder's own text as {"stream"} messages, the
// image id as {"aux":{"ID"}} just before "Successfully built <id>", and any
// failure after that in-band. BuildKit (version=2, sessions) is not served:
// the docker CLI falls back to this builder when buildx is absent or
// DOCKER_BUILDKIT=0, and compose 1.29 and docker-py always use it.

/** A JSON map query parameter with moby's 400 wording ("error reading build args"). */
function jsonMap(c: ApiCall, key: string, what: string): Record<string, unknown> {
  let value: unknown;
  try {
    value = c.query.json(key);
  } catch (e) {
    throw new InvalidArgumentError(`error reading ${what}: ${(e as Error).message}`);
  }
  if (value === undefined || value === null) return {};
  if (typeof value !== "object" || Array.isArray(value)) throw new InvalidArgumentError(`error reading ${what}: expected a JSON object`);
  return value as Record<string, unknown>;
}

/** The query as the build verb's request (moby's newImageBuildOptions). */
function buildRequest(c: ApiCall): Omit<BuildRequest, "context"> {
  if (c.query.string("remote")) throw new InvalidArgumentError("building from a remote context (remote=URL) is not supported by skiff", "send the context as a tar in the request body");
  const version = c.query.string("version");
  if (version && version !== "1")
    throw new InvalidArgumentError(`BuildKit (builder version ${version}) is not supported by skiff`, "build with the classic builder: DOCKER_BUILDKIT=0");
  // --build-arg NAME with NAME unset comes as null: no value, so the Dockerfile's default stands.
  const buildArgs = new Map<string, string>();
  for (const [k, v] of Object.entries(jsonMap(c, "buildargs", "build args"))) {
    if (typeof v === "string") buildArgs.set(k, v);
    else if (v !== null) throw new InvalidArgumentError(`error reading build args: the value of ${k} is not a string`);
  }
  const labels = Object.entries(jsonMap(c, "labels", "labels")).map(([k, v]) => {
    if (typeof v !== "string") throw new InvalidArgumentError(`error reading labels: the value of ${k} is not a string`);
    return `${k}=${v}`;
  });
  const network = c.query.string("networkmode");
  const forceRm = c.query.bool("forcerm");
  return {
    file: c.query.string("dockerfile") || undefined,
    tags: c.query.strings("t").filter(Boolean),
    buildArgs,
    labels,
    target: c.query.string("target") || undefined,
    noCache: c.query.bool("nocache"),
    pull: c.query.bool("pull"),
    quiet: c.query.bool("q"),
    network: network && network !== "default" ? network : undefined,
    rm: forceRm || c.query.bool("rm", true),
    forceRm,
    platform: (c.versionAtLeast("1.32") && c.query.string("platform")) || undefined,
    registryAuth: c.registryConfig(),
  };
}

export function buildRoutes(engine: Engine): Route[] {
  return [
    {
      method: "POST",
      path: "/build",
      handle: async (c) => {
        const req = buildRequest(c);
        const out = c.messageStream();
        const text = out.textWriter();
        // Quiet, moby keeps everything but the final id to itself, the aux message too.
        const onBuilt = req.quiet ? undefined : (id: string) => out.aux({ ID: id });
        await build(engine, { ...req, context: { stream: c.bodyStream() }, signal: c.signal, onBuilt }, text, text);
        out.end();
      },
    },
  ];
}
