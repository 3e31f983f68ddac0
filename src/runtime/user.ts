import { readFileSync } from "node:fs";
import { join } from "node:path";
import { SkiffError } from "../errors.js";

// `-u user[:group]` and the image's USER resolved against the image's own
// /etc/passwd and /etc/group, as runc does (libcontainer/user): a name must
// exist there; a number need not (then gid 0 and HOME=/); supplementary
// groups are the groups listing the user by name.

export interface ResolvedUser {
  uid: number;
  gid: number;
  additionalGids: number[];
  home: string;
}

interface PasswdEntry {
  name: string;
  uid: number;
  gid: number;
  home: string;
}

interface GroupEntry {
  name: string;
  gid: number;
  members: string[];
}

/** The first of `dirs` (top layer first) that has `rel`, as text. */
function readFromLayers(dirs: string[], rel: string): string {
  for (const d of dirs) {
    try {
      return readFileSync(join(d, rel), "utf8");
    } catch {
      /* not in this layer */
    }
  }
  return "";
}

function parsePasswd(text: string): PasswdEntry[] {
  return text
    .split("\n")
    .map((l) => l.split(":"))
    .filter((f) => f.length >= 7 && f[0] && !f[0].startsWith("#"))
    .map((f) => ({ name: f[0]!, uid: Number(f[2]), gid: Number(f[3]), home: f[5] || "/" }));
}

function parseGroup(text: string): GroupEntry[] {
  return text
    .split("\n")
    .map((l) => l.split(":"))
    .filter((f) => f.length >= 4 && f[0] && !f[0].startsWith("#"))
    .map((f) => ({ name: f[0]!, gid: Number(f[2]), members: f[3]!.split(",").filter(Boolean) }));
}

const isNumber = (s: string) => /^\d+$/.test(s);

/** `rootDirs`: the rootfs as layer directories, top first (or one flattened directory). */
export function resolveUser(spec: string, rootDirs: string[], groupAdd: string[] = []): ResolvedUser {
  const [userPart = "", groupPart] = spec.split(":", 2);
  const passwd = parsePasswd(readFromLayers(rootDirs, "etc/passwd"));
  const groups = parseGroup(readFromLayers(rootDirs, "etc/group"));
  let user: PasswdEntry | undefined;
  if (userPart === "") user = passwd.find((p) => p.uid === 0) ?? { name: "root", uid: 0, gid: 0, home: "/root" };
  else if (isNumber(userPart)) user = passwd.find((p) => p.uid === Number(userPart)) ?? { name: "", uid: Number(userPart), gid: 0, home: "/" };
  else {
    user = passwd.find((p) => p.name === userPart);
    if (!user) throw new SkiffError(`unable to find user ${userPart}: no matching entries in passwd file`, { hint: "give a uid instead, or add the user to the image's /etc/passwd" });
  }
  let gid = user.gid;
  if (groupPart !== undefined && groupPart !== "") {
    if (isNumber(groupPart)) gid = Number(groupPart);
    else {
      const g = groups.find((x) => x.name === groupPart);
      if (!g) throw new SkiffError(`unable to find group ${groupPart}: no matching entries in group file`);
      gid = g.gid;
    }
  }
  const additional = new Set<number>();
  if (groupPart === undefined && user.name) for (const g of groups) if (g.members.includes(user.name) && g.gid !== gid) additional.add(g.gid);
  for (const g of groupAdd) {
    if (isNumber(g)) additional.add(Number(g));
    else {
      const found = groups.find((x) => x.name === g);
      if (!found) throw new SkiffError(`unable to find group ${g}: no matching entries in group file`);
      additional.add(found.gid);
    }
  }
  // With no supplementary group, the process still carries its primary one (runc's GetExecUser).
  if (additional.size === 0) additional.add(gid);
  return { uid: user.uid, gid, additionalGids: [...additional], home: user.home };
}
