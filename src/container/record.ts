// A container's stored configuration (containers/<id>/config.json): what
// `create` decided, in names close to Docker's inspect output so that
// inspect is mostly a projection of it.

export interface MountSpec {
  Type: "bind" | "volume" | "tmpfs";
  Source: string;
  Destination: string;
  /** Volume name for Type volume. */
  Name?: string;
  ReadOnly: boolean;
  Options: string[];
  /** Anonymous volumes are removed with `rm -v`. */
  Anonymous?: boolean;
}

export interface PortBinding {
  HostIp: string;
  HostPort: string;
}

export interface Ulimit {
  Name: string;
  Soft: number;
  Hard: number;
}

/** Docker's HealthConfig; durations in nanoseconds; unset (zero) fields are left out, as in Docker's JSON. */
export interface HealthConfig {
  Test?: string[];
  Interval?: number;
  Timeout?: number;
  StartPeriod?: number;
  StartInterval?: number;
  Retries?: number;
}

/** A network the container is to be on, as asked at create or connect (Docker's EndpointSettings). */
export interface EndpointRequest {
  /** The network's id when it was asked for (a network re-created under the same name is another one). */
  NetworkID?: string;
  Aliases: string[] | null;
  IPAMConfig: { IPv4Address?: string } | null;
  /** Legacy --link: "container:alias". */
  Links: string[] | null;
}

export interface ContainerRecord {
  Id: string;
  Name: string;
  Created: string;
  /** Image id (sha256:…) and the name it was asked for. */
  Image: string;
  ImageName: string;
  /** Chain ids of the image's layers, bottom first: the overlay's lowerdirs. */
  Layers: string[];
  Driver: "overlay" | "vfs";
  Path: string;
  Args: string[];
  Config: {
    Hostname: string;
    Domainname: string;
    User: string;
    Env: string[];
    Cmd: string[] | null;
    Entrypoint: string[] | null;
    WorkingDir: string;
    Labels: Record<string, string>;
    Tty: boolean;
    OpenStdin: boolean;
    StdinOnce: boolean;
    AttachStdin: boolean;
    AttachStdout: boolean;
    AttachStderr: boolean;
    StopSignal: string;
    StopTimeout?: number;
    ExposedPorts: Record<string, object>;
    Volumes: Record<string, object> | null;
    Image: string;
    /** Absent when neither the image nor the flags set one (records before healthchecks never have one). */
    Healthcheck?: HealthConfig;
    /** The image's SHELL, for CMD-SHELL healthchecks. */
    Shell?: string[];
  };
  HostConfig: {
    AutoRemove: boolean;
    ReadonlyRootfs: boolean;
    RestartPolicy: { Name: "no" | "always" | "unless-stopped" | "on-failure"; MaximumRetryCount: number };
    Init: boolean;
    Tmpfs: Record<string, string>;
    Ulimits: Ulimit[];
    NetworkMode: string;
    PortBindings: Record<string, PortBinding[]>;
    PublishAllPorts: boolean;
    Dns: string[];
    /** Absent in records written before these options existed. */
    DnsSearch?: string[];
    DnsOptions?: string[];
    ExtraHosts: string[];
    Memory: number;
    NanoCpus: number;
    PidsLimit: number;
    CapAdd: string[];
    CapDrop: string[];
    Privileged: boolean;
    VolumesFrom: string[];
  };
  Mounts: MountSpec[];
  /** Networks: every network asked for, the first being HostConfig.NetworkMode (absent in older records). */
  NetworkSettings?: { MacAddress?: string; Networks?: Record<string, EndpointRequest> };
}
