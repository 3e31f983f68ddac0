import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import type { HostInfo } from "../engine/info.js";
import { goArch } from "../engine/version.js";
import { API_VERSION, MIN_API_VERSION, VERSION } from "../version.js";

// GET /info in Docker's field names (moby api/types system.Info), from
// what `skiff info` collects. Clients
// read a handful of these: docker-py's version negotiation needs ApiVersion,
// testcontainers reads OperatingSystem, OSType, Architecture, NCPU,
// MemTotal, IndexServerAddress, Labels and Runtimes, the docker CLI prints
// the rest and shows "rootless" from SecurityOptions. Fields that mean
// nothing without a daemon (swarm, containerd) get Docker's zero values so
// that strict decoders find them.

/** /etc/os-release's PRETTY_NAME and VERSION_ID (moby's OperatingSystem, OSVersion). */
export function readOsRelease(text?: string): { name: string; version: string } {
  let t = text;
  if (t === undefined) {
    try {
      t = readFileSync("/etc/os-release", "utf8");
    } catch {
      t = "";
    }
  }
  const fields = new Map([...t.matchAll(/^(\w+)=(.*)$/gm)].map((m) => [m[1]!, m[2]!.replace(/^["']|["']$/g, "")]));
  const field = (k: string) => fields.get(k);
  return { name: field("PRETTY_NAME") ?? "Linux", version: field("VERSION_ID") ?? "" };
}

/**
 * A stable engine ID per host and store (Docker keeps a random UUID in a
 * file; skiff derives one so that nothing is written for it).
 */
export function engineId(storageRoot: string, machineId = readMachineId()): string {
  const h = createHash("sha256").update(`skiff\0${machineId}\0${storageRoot}`).digest("hex");
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20, 32)}`.toUpperCase();
}

function readMachineId(): string {
  for (const f of ["/etc/machine-id", "/var/lib/dbus/machine-id"]) {
    try {
      return readFileSync(f, "utf8").trim();
    } catch {
      /* next */
    }
  }
  return "";
}

export interface InfoInput {
  host: HostInfo;
  containers: { total: number; running: number; paused: number };
  images: number;
  hostname: string;
  ncpu: number;
  memTotal: number;
  machine: string;
  os: { name: string; version: string };
  id: string;
  runtimePath: string;
  debug: boolean;
  env?: NodeJS.ProcessEnv;
}

export function infoBody(i: InfoInput): Record<string, unknown> {
  const h = i.host;
  const env = i.env ?? process.env;
  const indexConfigs: Record<string, unknown> = {
    "docker.io": { Name: "docker.io", Mirrors: h.registries.mirrors["docker.io"] ?? [], Secure: true, Official: true },
  };
  for (const host of new Set([...h.registries.insecure, ...Object.keys(h.registries.mirrors)]))
    if (host !== "docker.io") indexConfigs[host] = { Name: host, Mirrors: h.registries.mirrors[host] ?? [], Secure: !h.registries.insecure.includes(host), Official: false };
  const limits = false; // skiff applies no cgroup limits yet (Engine.resourceWarnings), delegated or not
  return {
    ID: i.id,
    Containers: i.containers.total,
    ContainersRunning: i.containers.running,
    ContainersPaused: i.containers.paused,
    ContainersStopped: i.containers.total - i.containers.running - i.containers.paused,
    Images: i.images,
    Driver: h.storageDriver,
    DriverStatus: [
      ["Backing Filesystem", h.storage.filesystem],
      ...(h.storageDriver === "overlay" ? [["Union Filesystem", `fuse-overlayfs${h.fuse.version ? ` ${h.fuse.version}` : ""}`]] : []),
    ],
    Plugins: { Volume: ["local"], Network: ["host", "null", "slirp4netns"], Authorization: null, Log: ["json-file"] },
    MemoryLimit: limits,
    SwapLimit: limits,
    CpuCfsPeriod: limits,
    CpuCfsQuota: limits,
    CPUShares: limits,
    CPUSet: limits,
    PidsLimit: limits,
    IPv4Forwarding: true,
    BridgeNfIptables: false,
    BridgeNfIp6tables: false,
    Debug: i.debug,
    NFd: 0,
    OomKillDisable: false,
    NGoroutines: 0,
    SystemTime: new Date().toISOString(),
    LoggingDriver: "json-file",
    CgroupDriver: h.cgroups.delegated ? "systemd" : "none",
    CgroupVersion: h.cgroups.version === "v2" ? "2" : "1",
    NEventsListener: 0,
    KernelVersion: h.kernel,
    OperatingSystem: i.os.name,
    OSVersion: i.os.version,
    OSType: "linux",
    Architecture: i.machine,
    IndexServerAddress: "https://index.docker.io/v1/",
    RegistryConfig: {
      AllowNondistributableArtifactsCIDRs: null,
      AllowNondistributableArtifactsHostnames: null,
      InsecureRegistryCIDRs: ["127.0.0.0/8", "::1/128"],
      IndexConfigs: indexConfigs,
      Mirrors: h.registries.mirrors["docker.io"] ?? [],
    },
    NCPU: i.ncpu,
    MemTotal: i.memTotal,
    GenericResources: null,
    DockerRootDir: h.storage.root,
    HttpProxy: env.HTTP_PROXY ?? env.http_proxy ?? "",
    HttpsProxy: env.HTTPS_PROXY ?? env.https_proxy ?? "",
    NoProxy: env.NO_PROXY ?? env.no_proxy ?? "",
    Name: i.hostname,
    Labels: [],
    ExperimentalBuild: false,
    ServerVersion: VERSION,
    Runtimes: { "skiff-runtime": { path: i.runtimePath } },
    DefaultRuntime: "skiff-runtime",
    Swarm: { NodeID: "", NodeAddr: "", LocalNodeState: "inactive", ControlAvailable: false, Error: "", RemoteManagers: null },
    // Containers outlive the service: each has its own monitor (DESIGN.md §3).
    LiveRestoreEnabled: true,
    Isolation: "",
    InitBinary: "skiff-init",
    ContainerdCommit: { ID: "", Expected: "" },
    RuncCommit: { ID: "", Expected: "" },
    InitCommit: { ID: "", Expected: "" },
    SecurityOptions: h.rootless ? ["name=rootless"] : [],
    CDISpecDirs: [],
    Warnings: h.warnings.map((w) => `WARNING: ${w.problem} (fix: ${w.fix})`),
  };
}
