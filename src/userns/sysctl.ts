import { readFileSync } from "node:fs";

// Distributions restrict unprivileged user namespaces in different ways
// (DESIGN.md §6). Read the knobs we know and say which one blocks us.

function readSysctl(name: string): string | undefined {
  try {
    return readFileSync(`/proc/sys/${name.replaceAll(".", "/")}`, "utf8").trim();
  } catch {
    return undefined;
  }
}

export interface UserNamespaceSysctls {
  maxUserNamespaces?: string;
  unprivilegedUsernsClone?: string;
  apparmorRestrict?: string;
}

export function readUserNamespaceSysctls(): UserNamespaceSysctls {
  return {
    maxUserNamespaces: readSysctl("user.max_user_namespaces"),
    unprivilegedUsernsClone: readSysctl("kernel.unprivileged_userns_clone"),
    apparmorRestrict: readSysctl("kernel.apparmor_restrict_unprivileged_userns"),
  };
}

/** The blocking sysctl, as a one-line fix, or a generic hint. */
export function explainUserNamespaceBlock(s: UserNamespaceSysctls = readUserNamespaceSysctls()): string {
  if (s.maxUserNamespaces === "0") return "user namespaces are disabled: sudo sysctl -w user.max_user_namespaces=28633";
  if (s.unprivilegedUsernsClone === "0") return "unprivileged user namespaces are disabled: sudo sysctl -w kernel.unprivileged_userns_clone=1";
  if (s.apparmorRestrict === "1")
    return "AppArmor restricts unprivileged user namespaces: sudo sysctl -w kernel.apparmor_restrict_unprivileged_userns=0, or add an AppArmor profile allowing userns for skiff";
  return "unprivileged user namespaces seem blocked (a seccomp filter or a container sandbox?); skiff info shows the details";
}
