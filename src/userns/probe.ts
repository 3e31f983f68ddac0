import { spawnSync } from "node:child_process";
import { statSync } from "node:fs";
import { currentUser, mappingForCurrentUser, subidFiles, type IdMapping } from "./mapping.js";
import { which } from "./namespace.js";
import { readSubid, type IdRange } from "./subid.js";
import { readUserNamespaceSysctls, type UserNamespaceSysctls } from "./sysctl.js";

// Facts about the rootless set-up, for `skiff info` and for clear errors.

export interface IdHelperFacts {
  path?: string;
  setuid: boolean;
  /** File capabilities as getcap prints them, when getcap is installed. */
  fileCaps?: string;
}

export interface NamespaceFacts {
  uid: number;
  user: string;
  subuid: IdRange[];
  subgid: IdRange[];
  mapping: IdMapping;
  newuidmap: IdHelperFacts;
  newgidmap: IdHelperFacts;
  sysctls: UserNamespaceSysctls;
}

function helperFacts(name: string): IdHelperFacts {
  const path = which(name);
  if (!path) return { setuid: false };
  const setuid = (statSync(path).mode & 0o4000) !== 0 && statSync(path).uid === 0;
  let fileCaps: string | undefined;
  const getcap = which("getcap") ?? which("getcap", "/usr/sbin:/sbin");
  if (getcap) {
    const r = spawnSync(getcap, [path], { encoding: "utf8" });
    const m = /\s(cap_\S+)/.exec(r.stdout ?? "");
    if (m) fileCaps = m[1];
  }
  return { path, setuid, fileCaps };
}

export function probeNamespace(): NamespaceFacts {
  const me = currentUser();
  const files = subidFiles();
  return {
    uid: me.uid,
    user: me.user,
    subuid: readSubid(files.subuid, me.user, me.uid),
    subgid: readSubid(files.subgid, me.user, me.uid),
    mapping: mappingForCurrentUser(),
    newuidmap: helperFacts("newuidmap"),
    newgidmap: helperFacts("newgidmap"),
    sysctls: readUserNamespaceSysctls(),
  };
}
