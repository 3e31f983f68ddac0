import { join } from "node:path";
import { NotFoundError, SkiffError } from "../errors.js";
import { readHealth } from "../container/health.js";
import { imageInspect } from "../image/inspect.js";
import type { Engine } from "./engine.js";
import { containerSizes } from "./list-containers.js";

// `inspect`: Docker's JSON for containers (Engine API ContainerInspect),
// images and volumes, and the generic lookup the CLI's `inspect` does
// (containers first, then images, then volumes).

/** Docker's ContainerInspect; with `size`, SizeRw and SizeRootFs too (`inspect --size`, the API's ?size=1). */
export function inspectContainer(engine: Engine, name: string, opts: { size?: boolean } = {}): Record<string, unknown> {
  const v = engine.containers.get(name);
  const r = v.record;
  const s = v.state;
  const dir = engine.containers.store.dir(r.Id);
  const userdata = join(dir, "userdata");
  const health = readHealth(dir, r);
  return {
    Id: r.Id,
    Created: r.Created,
    Path: r.Path,
    Args: r.Args,
    State: {
      Status: s.Status,
      Running: s.Running,
      Paused: s.Paused,
      Restarting: s.Restarting,
      OOMKilled: s.OOMKilled,
      Dead: s.Dead,
      Pid: s.Pid,
      ExitCode: s.ExitCode,
      Error: s.Error,
      StartedAt: s.StartedAt,
      FinishedAt: s.FinishedAt,
      ...(health ? { Health: health } : {}),
    },
    Image: r.Image,
    ResolvConfPath: join(userdata, "resolv.conf"),
    HostnamePath: join(userdata, "hostname"),
    HostsPath: join(userdata, "hosts"),
    LogPath: join(dir, "ctr.log"),
    Name: `/${r.Name}`,
    RestartCount: s.RestartCount,
    Driver: r.Driver,
    Platform: "linux",
    MountLabel: "",
    ProcessLabel: "",
    AppArmorProfile: "",
    ExecIDs: null,
    HostConfig: {
      Binds: r.Mounts.filter((m) => m.Type === "bind").map((m) => `${m.Source}:${m.Destination}${m.ReadOnly ? ":ro" : ""}`),
      ContainerIDFile: "",
      LogConfig: { Type: "json-file", Config: {} },
      NetworkMode: r.HostConfig.NetworkMode,
      PortBindings: r.HostConfig.PortBindings,
      RestartPolicy: r.HostConfig.RestartPolicy,
      AutoRemove: r.HostConfig.AutoRemove,
      VolumeDriver: "",
      VolumesFrom: r.HostConfig.VolumesFrom,
      CapAdd: r.HostConfig.CapAdd,
      CapDrop: r.HostConfig.CapDrop,
      Dns: r.HostConfig.Dns,
      DnsOptions: r.HostConfig.DnsOptions ?? [],
      DnsSearch: r.HostConfig.DnsSearch ?? [],
      ExtraHosts: r.HostConfig.ExtraHosts,
      Privileged: r.HostConfig.Privileged,
      PublishAllPorts: r.HostConfig.PublishAllPorts,
      ReadonlyRootfs: r.HostConfig.ReadonlyRootfs,
      Tmpfs: r.HostConfig.Tmpfs,
      Memory: r.HostConfig.Memory,
      NanoCpus: r.HostConfig.NanoCpus,
      PidsLimit: r.HostConfig.PidsLimit || null,
      Ulimits: r.HostConfig.Ulimits,
      Init: r.HostConfig.Init,
    },
    GraphDriver: {
      Data: {
        LowerDir: [...r.Layers].reverse().map((l) => engine.layers.diffDir(l)).join(":"),
        MergedDir: join(dir, "merged"),
        UpperDir: join(dir, "upper"),
        WorkDir: join(dir, "work"),
      },
      Name: r.Driver,
    },
    Mounts: r.Mounts.map((m) => ({
      Type: m.Type,
      Name: m.Name,
      Source: m.Source,
      Destination: m.Destination,
      Driver: m.Type === "volume" ? "local" : undefined,
      Mode: m.Options.join(","),
      RW: !m.ReadOnly,
      Propagation: m.Type === "bind" ? "rprivate" : "",
    })),
    Config: { ...r.Config, StopTimeout: r.Config.StopTimeout },
    NetworkSettings: engine.network.settings(r),
    ...(opts.size ? containerSizes(engine, r) : {}),
  };
}

export function inspectImage(engine: Engine, name: string): Record<string, unknown> {
  const img = engine.images.get(name);
  return imageInspect(img, engine.storageDriver, img.record.layers.map((l) => engine.layers.diffDir(l)));
}

export function inspectVolume(engine: Engine, name: string): Record<string, unknown> {
  return { ...engine.volumes.inspectOne(name) };
}

export type ObjectType = "container" | "image" | "volume";

/** The first object of that name, looked up as Docker's CLI does; refused with Docker's words when there is none. */
export function inspectAny(engine: Engine, name: string, type?: string): Record<string, unknown> {
  const kinds: [ObjectType, (e: Engine, n: string) => Record<string, unknown>][] = [
    ["container", inspectContainer],
    ["image", inspectImage],
    ["volume", inspectVolume],
  ];
  if (type !== undefined && !kinds.some(([k]) => k === type)) throw new SkiffError(`"${type}" is not a valid value for --type`, { code: 1, status: 400 });
  for (const [kind, inspect] of kinds) {
    if (type !== undefined && type !== kind) continue;
    try {
      return inspect(engine, name);
    } catch (e) {
      if (type === kind) throw e;
    }
  }
  throw new NotFoundError(`No such object: ${name}`);
}
