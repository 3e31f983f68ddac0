import { join } from "node:path";
import type { Engine } from "../engine/engine.js";
import type { ContainerView } from "./service.js";
import { readHealth } from "./health.js";

// `docker container inspect`'s JSON shape (Engine API ContainerInspect).

export function containerInspect(engine: Engine, v: ContainerView): Record<string, unknown> {
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
  };
}
