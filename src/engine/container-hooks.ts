import { existsSync, mkdirSync } from "node:fs";
import { resolve } from "node:path";
import { SkiffError } from "../errors.js";
import type { ContainerHooks } from "../container/service.js";
import type { SpecMount } from "../runtime/spec-file.js";
import { writeEtcFiles } from "../network/etc-files.js";
import type { Engine } from "./engine.js";

// What containers need from the rooms beside them — volumes and networking —
// wired here, the one place that knows them all.

export function containerHooks(engine: Engine): ContainerHooks {
  void engine;
  return {
    async mounts(record) {
      const out: SpecMount[] = [];
      for (const m of record.Mounts) {
        if (m.Type === "tmpfs") {
          out.push({ destination: m.Destination, type: "tmpfs", source: "tmpfs", options: ["nosuid", "nodev", ...m.Options, ...(m.ReadOnly ? ["ro"] : [])] });
          continue;
        }
        if (m.Type === "volume") throw new SkiffError(`volume mounts are not available yet (${m.Destination})`, { hint: "use a bind mount: -v /host/dir:" + m.Destination });
        const source = resolve(m.Source);
        // -v creates a missing host directory, as Docker does.
        if (!existsSync(source)) mkdirSync(source, { recursive: true });
        out.push({ destination: m.Destination, type: "bind", source, options: ["rbind", ...(m.ReadOnly ? ["ro"] : [])] });
      }
      return out;
    },
    async network(record, userdata) {
      const etc = writeEtcFiles(userdata, {
        hostname: record.Config.Hostname,
        domainname: record.Config.Domainname,
        hostNetwork: true,
        extraHosts: record.HostConfig.ExtraHosts,
        dns: record.HostConfig.Dns,
      });
      return { etc, mode: "host" };
    },
    anonymousVolumePaths() {
      return [];
    },
  };
}
