import { release } from "node:os";
import { filesystemType, isNetworkFilesystem } from "../config/filesystem.js";
import { fuseDevice, probeFuse, type FuseFacts } from "../mount/probe.js";
import { probeNetwork, type NetworkFacts } from "../network/probe.js";
import { probeCgroups, type CgroupFacts } from "../runtime/cgroups.js";
import { probeNamespace, type NamespaceFacts } from "../userns/probe.js";
import { formatMap } from "../userns/mapping.js";
import { apiSocketPath, socketState } from "./api-socket.js";
import type { Engine } from "./engine.js";

// `skiff info`: what this host gives skiff, and for each missing piece one
// line saying how to fix it.

export interface HostInfo {
  version: string;
  kernel: string;
  rootless: boolean;
  namespace: NamespaceFacts & { works: boolean; error?: string; hint?: string; uidMap: string; gidMap: string };
  fuse: FuseFacts;
  storageDriver: string;
  network: NetworkFacts;
  cgroups: CgroupFacts;
  storage: { root: string; filesystem: string; runRoot: string; runRootFilesystem: string; configFile: string; configFound: boolean };
  registries: { default: string; insecure: string[]; mirrors: Record<string, string[]>; timeoutSeconds: number };
  /** Where `skiff system service` listens by default, and whether it does now. */
  apiSocket: { path: string; listening: boolean };
  warnings: { problem: string; fix: string }[];
}

/**
 * `namespace`: facts about the user probed outside skiff's user namespace.
 * Inside it (the API service runs there) uid 0 is the user and the
 * subordinate ids and setuid helpers look like root's, so the service is
 * handed the facts its outer process saw.
 */
export async function collectHostInfo(engine: Engine, version: string, opts: { namespace?: NamespaceFacts } = {}): Promise<HostInfo> {
  const ns = opts.namespace ?? probeNamespace();
  const fuse = probeFuse();
  const network = probeNetwork();
  const cgroups = probeCgroups();
  const paths = engine.config.paths;
  const warnings: HostInfo["warnings"] = [];

  let works = false;
  let error: string | undefined;
  let hint: string | undefined;
  try {
    works = (await engine.userns.run(["true"], { stdio: "ignore" })) === 0;
  } catch (e) {
    const err = e as Error & { hint?: string };
    error = err.message;
    hint = err.hint;
  }

  if (ns.uid !== 0 && (ns.subuid.length === 0 || ns.subgid.length === 0))
    warnings.push({
      problem: `no subordinate id range for ${ns.user} in /etc/subuid or /etc/subgid (running with a single-id mapping)`,
      fix: `sudo usermod --add-subuids 100000-165535 --add-subgids 100000-165535 ${ns.user}`,
    });
  if (ns.uid !== 0 && !ns.newuidmap.path)
    warnings.push({ problem: "newuidmap/newgidmap not found", fix: "sudo apt-get install uidmap" });
  else if (ns.uid !== 0 && !ns.newuidmap.setuid && !ns.newuidmap.fileCaps)
    warnings.push({
      problem: `${ns.newuidmap.path} is neither setuid root nor has file capabilities`,
      fix: `sudo chmod u+s ${ns.newuidmap.path} ${ns.newgidmap.path ?? ""}`.trim(),
    });
  if (!works) warnings.push({ problem: `user namespaces do not work: ${error ?? "unknown error"}`, fix: hint ?? "see above" });
  if (!fuse.fuseOverlayfs)
    warnings.push({ problem: "fuse-overlayfs not found: using the slower copying vfs driver", fix: "sudo apt-get install fuse-overlayfs" });
  if (fuse.devFuse !== "ok")
    warnings.push({
      problem: `${fuseDevice()} ${fuse.devFuse === "missing" ? "does not exist" : "is not accessible to you"}: using the slower copying vfs driver`,
      fix: fuse.devFuse === "missing" ? "sudo modprobe fuse" : "sudo chmod 0666 /dev/fuse (udev normally does this)",
    });
  if (!network.slirp4netns)
    warnings.push({ problem: "slirp4netns not found: containers can only use --network host or none", fix: "sudo apt-get install slirp4netns" });
  else if (network.devNetTun !== "ok")
    warnings.push({
      problem: `/dev/net/tun ${network.devNetTun === "missing" ? "does not exist" : "is not accessible to you"}: slirp4netns cannot create a network`,
      fix: network.devNetTun === "missing" ? "sudo modprobe tun" : "sudo chmod 0666 /dev/net/tun (udev normally does this)",
    });
  if (!cgroups.delegated)
    warnings.push({
      problem: `no delegated cgroup v2 subtree (cgroups ${cgroups.version}): --memory, --cpus and --pids-limit are not enforced`,
      fix: "use a systemd user session with cgroup v2 delegation (systemd.unified_cgroup_hierarchy=1, Delegate=yes for user@.service)",
    });
  const filesystem = filesystemType(paths.storageRoot);
  if (isNetworkFilesystem(filesystem))
    warnings.push({
      problem: `storage root ${paths.storageRoot} is on ${filesystem}, which cannot hold files owned by subordinate ids`,
      fix: `set root = /local/disk/path under [storage] in ${engine.config.file}`,
    });

  const storageDriver = engine.storageDriver;
  const mirrors: Record<string, string[]> = {};
  const insecure: string[] = [];
  for (const [host, r] of engine.config.registries) {
    if (r.mirrors.length) mirrors[host] = r.mirrors;
    if (r.insecure) insecure.push(host);
  }
  return {
    version,
    kernel: release(),
    rootless: ns.uid !== 0,
    namespace: { ...ns, works, error, hint, uidMap: formatMap(ns.mapping.uidMap), gidMap: formatMap(ns.mapping.gidMap) },
    fuse,
    storageDriver,
    network,
    cgroups,
    storage: {
      root: paths.storageRoot,
      filesystem,
      runRoot: paths.runRoot,
      runRootFilesystem: filesystemType(paths.runRoot),
      configFile: engine.config.file,
      configFound: engine.config.fileFound,
    },
    apiSocket: { path: apiSocketPath(paths.runRoot), listening: (await socketState(apiSocketPath(paths.runRoot))) === "listening" },
    registries: {
      default: engine.config.defaultRegistry,
      insecure,
      mirrors,
      // What registry requests use (src/registry/session.ts: 30 s unless configured).
      timeoutSeconds: (engine.registryTimeoutMs ?? 30_000) / 1000,
    },
    warnings,
  };
}
