import type { ContainerRecord } from "../container/record.js";
import type { EtcFiles } from "./etc-files.js";

// What the network room gives the container lifecycle (a start's network)
// and needs from the rest of the engine (containers, locks, the namespace).

export interface NetworkSetup {
  etc: EtcFiles;
  mode: "host" | "new" | { join: string };
  /** argv the monitor runs once the container's namespaces exist (SKIFF_CONTAINER_PID set). */
  prestart?: string[];
  /** The host name to use instead of the record's (that of the container whose network is joined). */
  hostname?: string;
  /** Call once the monitor has run the prestart hook (or failed): releases what the start held. */
  done?: () => Promise<void>;
}

/** A container as the network room sees it. */
export interface ContainerFacts {
  id: string;
  name: string;
  running: boolean;
  pid: number;
  userdata: string;
  record: ContainerRecord;
}

/** What the network room needs to know of containers and the host (the engine fills it in). */
export interface NetworkContext {
  /** skiff.conf [network] default. */
  defaultNetwork: string;
  /** A short directory for sockets (a socket path holds 107 bytes). */
  runDir: string;
  /** Where user-defined networks and their leases are kept (<root>/networks). */
  storeDir: string;
  /** skiff.conf [network] pool and pool_prefix. */
  pool: string;
  poolPrefix: number;
  /** A container by name or id. */
  container(ref: string): ContainerFacts;
  containers(): ContainerFacts[];
  /** Whether a container id exists or is being created. */
  known(id: string): boolean;
  updateRecord(record: ContainerRecord): void;
  /** Store locks (src/store/locks.ts) and the path of one of them, for the holder. */
  acquire(name: string, mode: "exclusive" | "shared"): Promise<() => Promise<void>>;
  lockPath(name: string): string;
  /** Run a command inside skiff's user namespace. */
  nsExec(cmd: string[]): Promise<{ code: number; stdout: string; stderr: string }>;
}

