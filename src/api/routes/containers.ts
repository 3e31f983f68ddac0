import type { ContainerCreateBody } from "../../container/create-body.js";
import { commit } from "../../engine/commit.js";
import { containerChanges } from "../../engine/container-files.js";
import { createContainer } from "../../engine/create.js";
import type { Engine } from "../../engine/engine.js";
import { inspectContainer } from "../../engine/inspect.js";
import {
  killContainer, pauseContainer, removeContainer, renameContainer, restartContainer, startContainer, stopContainer, unpauseContainer,
} from "../../engine/lifecycle.js";
import { listContainers } from "../../engine/list-containers.js";
import { pruneContainers } from "../../engine/prune.js";
import { containerTop } from "../../engine/top.js";
import { updateContainer } from "../../engine/update.js";
import { InvalidArgumentError } from "../../errors.js";
import type { Shape } from "../body.js";
import type { ApiCall } from "../call.js";
import { NotModified } from "../errors.js";
import type { Route } from "../router.js";

// The container endpoints that answer in one piece (moby
// daemon/server/router/container): create, list, inspect, the lifecycle
// verbs, rename, update, remove, prune, commit, top, changes. The streaming
// ones are in container-streams.ts, the file ones in container-archive.ts.

const strings = ["string"] as const;
const stringMap = { "*": "string" } as const;

/**
 * The parts of the create body whose JSON type the engine relies on. Cmd,
 * Entrypoint and Healthcheck.Test may be a string or a list (Go's
 * strslice.StrSlice), so they are checked where they are normalised.
 */
const CREATE_SHAPE: Shape = {
  Image: "string",
  Hostname: "string",
  Domainname: "string",
  User: "string",
  AttachStdin: "boolean",
  AttachStdout: "boolean",
  AttachStderr: "boolean",
  Tty: "boolean",
  OpenStdin: "boolean",
  StdinOnce: "boolean",
  Env: strings,
  WorkingDir: "string",
  Labels: stringMap,
  StopSignal: "string",
  StopTimeout: "integer",
  ExposedPorts: { "*": "any" },
  Volumes: { "*": "any" },
  HostConfig: {
    Binds: strings,
    NetworkMode: "string",
    PortBindings: { "*": [{ HostIp: "string", HostPort: "string" }] },
    RestartPolicy: { Name: "string", MaximumRetryCount: "integer" },
    AutoRemove: "boolean",
    VolumesFrom: strings,
    CapAdd: strings,
    CapDrop: strings,
    Dns: strings,
    DnsOptions: strings,
    DnsSearch: strings,
    ExtraHosts: strings,
    GroupAdd: strings,
    Links: strings,
    Privileged: "boolean",
    PublishAllPorts: "boolean",
    ReadonlyRootfs: "boolean",
    Tmpfs: stringMap,
    Init: "boolean",
    Memory: "integer",
    NanoCpus: "integer",
    PidsLimit: "integer",
    Ulimits: [{ Name: "string", Soft: "integer", Hard: "integer" }],
    Mounts: [{ Type: "string", Source: "string", Target: "string", ReadOnly: "boolean" }],
    LogConfig: { Type: "string", Config: stringMap },
  },
  NetworkingConfig: { EndpointsConfig: { "*": { Aliases: strings, Links: strings, IPAMConfig: { IPv4Address: "string" } } } },
};

/** Go's strslice.StrSlice: a JSON string is a one-element list. */
function strSlice(value: unknown, field: string): string[] | null | undefined {
  if (value === undefined || value === null) return value;
  if (typeof value === "string") return [value];
  if (Array.isArray(value) && value.every((v) => typeof v === "string")) return value;
  throw new InvalidArgumentError(`invalid JSON: json: cannot unmarshal ${Array.isArray(value) ? "array" : typeof value} into Go struct field ${field} of type strslice.StrSlice`);
}

async function createBody(c: ApiCall): Promise<ContainerCreateBody> {
  const body = await c.json<Record<string, unknown>>(CREATE_SHAPE);
  if (!body) throw new InvalidArgumentError("Config cannot be empty in order to create a container");
  if (!body.Image) throw new InvalidArgumentError("no image given in the create body's Image", "name the image to run");
  const health = body.Healthcheck as { Test?: unknown } | null | undefined;
  return {
    ...(body as unknown as ContainerCreateBody),
    Cmd: strSlice(body.Cmd, "Cmd"),
    Entrypoint: strSlice(body.Entrypoint, "Entrypoint"),
    ...(health ? { Healthcheck: { ...health, Test: strSlice(health.Test, "Healthcheck.Test") ?? undefined } } : {}),
  };
}

/** `t` as Docker's stop and restart take it: seconds, negative for no limit. */
function stopOptions(c: ApiCall): { timeout?: number; signal?: string } {
  return { timeout: c.query.int("t"), signal: c.query.string("signal") || undefined };
}

export function containerRoutes(engine: Engine): Route[] {
  const name = (c: ApiCall) => c.param("name");
  return [
    {
      method: "POST",
      path: "/containers/create",
      handle: async (c) => {
        // The docker CLI pulls on this 404 ("No such image") and asks again.
        const created = await createContainer(engine, { body: await createBody(c), name: c.query.string("name") || undefined, platform: c.query.string("platform") || undefined }, { pull: "never" });
        c.send(201, { Id: created.id, Warnings: created.warnings });
      },
    },
    {
      method: "GET",
      path: "/containers/json",
      handle: async (c) => c.send(200, listContainers(engine, { all: c.query.bool("all"), limit: c.query.int("limit"), size: c.query.bool("size"), filters: c.query.filters() })),
    },
    {
      method: "POST",
      path: "/containers/prune",
      handle: async (c) => {
        const r = await pruneContainers(engine, c.query.filters());
        c.send(200, { ContainersDeleted: r.removed, SpaceReclaimed: r.reclaimed });
      },
    },
    { method: "GET", path: "/containers/{name}/json", handle: async (c) => c.send(200, inspectContainer(engine, name(c), { size: c.query.bool("size") })) },
    {
      method: "POST",
      path: "/containers/{name}/start",
      handle: async (c) => {
        if (!(await startContainer(engine, name(c))).started) throw new NotModified();
        c.sendStatus(204);
      },
    },
    {
      method: "POST",
      path: "/containers/{name}/stop",
      handle: async (c) => {
        if (!(await stopContainer(engine, name(c), stopOptions(c)))) throw new NotModified();
        c.sendStatus(204);
      },
    },
    {
      method: "POST",
      path: "/containers/{name}/restart",
      handle: async (c) => {
        await restartContainer(engine, name(c), stopOptions(c));
        c.sendStatus(204);
      },
    },
    {
      method: "POST",
      path: "/containers/{name}/kill",
      handle: async (c) => {
        await killContainer(engine, name(c), c.query.string("signal") || "KILL");
        c.sendStatus(204);
      },
    },
    {
      method: "POST",
      path: "/containers/{name}/pause",
      handle: async (c) => {
        await pauseContainer(engine, name(c));
        c.sendStatus(204);
      },
    },
    {
      method: "POST",
      path: "/containers/{name}/unpause",
      handle: async (c) => {
        await unpauseContainer(engine, name(c));
        c.sendStatus(204);
      },
    },
    {
      method: "POST",
      path: "/containers/{name}/rename",
      handle: async (c) => {
        const to = c.query.string("name");
        if (!to) throw new InvalidArgumentError("Neither old nor new names may be empty");
        renameContainer(engine, name(c), to);
        c.sendStatus(204);
      },
    },
    {
      method: "POST",
      path: "/containers/{name}/update",
      handle: async (c) => {
        const { RestartPolicy, ...resources } = (await c.json<Record<string, unknown>>({ RestartPolicy: { Name: "string", MaximumRetryCount: "integer" } })) ?? {};
        const r = updateContainer(engine, name(c), { RestartPolicy: RestartPolicy as { Name?: string; MaximumRetryCount?: number } | undefined, resources });
        c.send(200, { Warnings: r.warnings });
      },
    },
    {
      method: "DELETE",
      path: "/containers/{name}",
      handle: async (c) => {
        await removeContainer(engine, name(c), { force: c.query.bool("force"), volumes: c.query.bool("v") });
        c.sendStatus(204);
      },
    },
    {
      method: "GET",
      path: "/containers/{name}/top",
      handle: async (c) => c.send(200, containerTop(engine, name(c), (c.query.string("ps_args") ?? "").split(/\s+/).filter(Boolean))),
    },
    {
      method: "GET",
      path: "/containers/{name}/changes",
      handle: async (c) => c.send(200, (await containerChanges(engine, name(c))).map((x) => ({ Path: x.path, Kind: CHANGE_KIND[x.kind] }))),
    },
    {
      method: "POST",
      path: "/commit",
      handle: async (c) => {
        const container = c.query.string("container");
        if (!container) throw new InvalidArgumentError("No container given to commit: ?container= is empty");
        const repo = c.query.string("repo");
        const tag = c.query.string("tag");
        // The body may carry a container config to merge; skiff takes changes as Dockerfile instructions (?changes=) only.
        await c.body();
        const id = await commit(engine, container, {
          repo: repo ? (tag ? `${repo}:${tag}` : repo) : undefined,
          author: c.query.string("author"),
          message: c.query.string("comment"),
          // moby joins the values with newlines and parses them as Dockerfile lines: docker-py sends one value with several.
          changes: c.query.strings("changes").flatMap((v) => v.split("\n")).filter((v) => v.trim()),
          pause: c.query.bool("pause", true),
        });
        c.send(201, { Id: id });
      },
    },
  ];
}

/** Docker's change kinds in the API: 0 modified, 1 added, 2 deleted. */
const CHANGE_KIND = { C: 0, A: 1, D: 2 } as const;
