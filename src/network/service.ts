import type { ContainerRecord } from "../container/record.js";
import { writeEtcFiles, type EtcFiles } from "./etc-files.js";

// Container networking. For now every container shares the host's network
// (--network host); slirp4netns and published ports come with the
// networking work.

export interface NetworkSetup {
  etc: EtcFiles;
  mode: "host" | "new" | { join: string };
  /** argv the monitor runs once the container's namespaces exist (SKIFF_CONTAINER_PID set). */
  prestart?: string[];
}

export class NetworkService {
  async prepare(record: ContainerRecord, userdata: string): Promise<NetworkSetup> {
    const etc = writeEtcFiles(userdata, {
      hostname: record.Config.Hostname,
      domainname: record.Config.Domainname,
      hostNetwork: true,
      extraHosts: record.HostConfig.ExtraHosts,
      dns: record.HostConfig.Dns,
    });
    return { etc, mode: "host" };
  }

  publishedPorts(_record: ContainerRecord): Record<string, { HostIp: string; HostPort: string }[] | null> {
    return {};
  }

  address(_record: ContainerRecord): string {
    return "";
  }

  /** The container is gone: release what was set up for it. */
  async release(_record: ContainerRecord): Promise<void> {}
}
