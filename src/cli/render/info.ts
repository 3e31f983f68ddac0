import type { HostInfo } from "../../engine/info.js";

// The human form of `skiff info`, laid out like `docker info`: sections of
// "Key: value" lines, then one WARNING per missing piece with its fix.

export function renderInfo(i: HostInfo): string {
  const ns = i.namespace;
  const ranges = (r: { start: number; count: number }[]) =>
    r.length ? r.map((x) => `${x.start}-${x.start + x.count - 1} (${x.count})`).join(", ") : "none";
  const helper = (h: { path?: string; setuid: boolean; fileCaps?: string }) =>
    !h.path ? "not found" : `${h.path} (${h.setuid ? "setuid root" : h.fileCaps ? `file capabilities ${h.fileCaps}` : "no setuid bit, no file capabilities"})`;
  const lines = [
    "Client:",
    ` Version:         ${i.version}`,
    "",
    "Server:",
    ` Storage Driver:  ${i.storageDriver}${i.storageDriver === "overlay" && i.fuse.version ? ` (fuse-overlayfs ${i.fuse.version})` : ""}`,
    ` Rootless:        ${i.rootless}`,
    ` Kernel Version:  ${i.kernel}`,
    ` Cgroup Version:  ${i.cgroups.version}${i.cgroups.delegated ? ` (delegated: ${i.cgroups.delegated.controllers.join(" ")})` : " (not delegated)"}`,
    ` Skiff Root Dir:  ${i.storage.root} (${i.storage.filesystem})`,
    ` Run Root Dir:    ${i.storage.runRoot} (${i.storage.runRootFilesystem})`,
    ` Config File:     ${i.storage.configFile}${i.storage.configFound ? "" : " (not present, defaults in use)"}`,
    "",
    "User Namespace:",
    ` User:            ${ns.user} (uid ${ns.uid})`,
    ` Subordinate UIDs: ${ranges(ns.subuid)}`,
    ` Subordinate GIDs: ${ranges(ns.subgid)}`,
    ` UID Map:         ${ns.uidMap}${ns.mapping.singleId ? " (single-id fallback)" : ""}`,
    ` GID Map:         ${ns.gidMap}`,
    ` newuidmap:       ${helper(ns.newuidmap)}`,
    ` newgidmap:       ${helper(ns.newgidmap)}`,
    ` Namespaces Work: ${ns.works ? "yes" : `no (${ns.error})`}`,
    "",
    "Union Filesystem:",
    ` fuse-overlayfs:  ${i.fuse.fuseOverlayfs ? `${i.fuse.fuseOverlayfs} (version ${i.fuse.version ?? "unknown"})` : "not found"}`,
    ` /dev/fuse:       ${i.fuse.devFuse === "ok" ? "accessible" : i.fuse.devFuse}`,
    "",
    "Network:",
    ` slirp4netns:     ${i.network.slirp4netns ? `${i.network.slirp4netns} (version ${i.network.slirpVersion ?? "unknown"})` : "not found"}`,
    ` /dev/net/tun:    ${i.network.devNetTun === "ok" ? "accessible" : i.network.devNetTun}`,
    ` Unprivileged Port Start: ${i.network.unprivilegedPortStart ?? "unknown"}`,
    "",
    "Registries:",
    ` Default:         ${i.registries.default}`,
    ` Insecure:        ${i.registries.insecure.join(", ") || "none"}`,
    ` Timeout:         ${i.registries.timeoutSeconds}s`,
    ...Object.entries(i.registries.mirrors).map(([h, m]) => ` Mirrors ${h}: ${m.join(", ")}`),
    "",
    "Docker API:",
    ` Socket:          ${i.apiSocket.path} (${i.apiSocket.listening ? "listening" : "not listening: start it with skiff system service"})`,
    ` Clients:         export DOCKER_HOST=unix://${i.apiSocket.path}`,
    "",
  ];
  for (const w of i.warnings) lines.push(`WARNING: ${w.problem}`, `         fix: ${w.fix}`);
  return lines.join("\n") + (i.warnings.length ? "\n" : "");
}
