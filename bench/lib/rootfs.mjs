// A generated tree shaped like a distribution's root filesystem (packages
// spread over /usr/bin, /usr/lib, /usr/share/{doc,man,locale}, /etc), and a
// changed copy of it, for the diff benchmark.
import { seeded } from "./measure.mjs";

const WORDS = ["lib", "gnu", "core", "utils", "python3", "perl", "ssl", "xml", "z", "curl", "systemd", "dbus", "glib",
  "font", "config", "tools", "base", "data", "common", "dev", "x11", "gtk", "mesa", "icu", "sqlite", "krb5", "pam"];
const LANGS = ["de", "es", "fr", "it", "ja", "ko", "nl", "pl", "pt_BR", "ru", "sv", "tr", "uk", "zh_CN", "zh_TW"];
const T0 = 1700000000000;

/** About `count` entries, in no particular order (callers sort them). */
export function rootfs(count, seed = 1) {
  const r = seeded(seed);
  const pick = (xs) => xs[Math.floor(r() * xs.length)];
  const out = new Map();
  const dir = (path) => {
    if (!out.has(path)) out.set(path, { path, type: "dir", mode: 0o755, uid: 0, gid: 0, size: 4096, mtime: T0 });
    const slash = path.lastIndexOf("/");
    if (slash > 0) dir(path.slice(0, slash));
  };
  const file = (path, size, extra = {}) => {
    dir(path.slice(0, path.lastIndexOf("/")));
    out.set(path, { path, type: "file", mode: 0o644, uid: 0, gid: 0, size, mtime: T0 - Math.floor(r() * 1e9), ...extra });
  };
  for (const d of ["etc", "usr/bin", "usr/sbin", "usr/lib/x86_64-linux-gnu", "usr/share/doc", "usr/share/man/man1", "var/lib/dpkg/info", "tmp"]) dir(d);
  for (let p = 0; out.size < count; p++) {
    const name = `${pick(WORDS)}${pick(["", "-", "-"])}${pick(WORDS)}${p}`;
    file(`usr/share/doc/${name}/copyright`, 1000 + Math.floor(r() * 20000));
    file(`usr/share/doc/${name}/changelog.Debian.gz`, 500 + Math.floor(r() * 5000));
    file(`var/lib/dpkg/info/${name}.list`, Math.floor(r() * 4000));
    file(`var/lib/dpkg/info/${name}.md5sums`, Math.floor(r() * 4000));
    if (r() < 0.5) file(`usr/bin/${name}`, 10000 + Math.floor(r() * 500000), { mode: 0o755 });
    if (r() < 0.4) {
      const so = `usr/lib/x86_64-linux-gnu/lib${name}.so`;
      file(`${so}.1.${Math.floor(r() * 9)}.0`, 50000 + Math.floor(r() * 2e6));
      out.set(`${so}.1`, { path: `${so}.1`, type: "symlink", mode: 0o777, uid: 0, gid: 0, size: 20, mtime: T0, linkTarget: `lib${name}.so.1.0.0` });
    }
    if (r() < 0.3) file(`usr/share/man/man1/${name}.1.gz`, 2000 + Math.floor(r() * 8000));
    if (r() < 0.25) for (const l of LANGS) if (r() < 0.6) file(`usr/share/locale/${l}/LC_MESSAGES/${name}.mo`, 5000 + Math.floor(r() * 50000));
    if (r() < 0.15) for (let k = 0; k < 12; k++) file(`usr/share/${name}/${pick(WORDS)}/${pick(WORDS)}${k}.${pick(["py", "pm", "xml", "svg"])}`, Math.floor(r() * 30000));
    if (r() < 0.1) file(`etc/${name}/${name}.conf`, Math.floor(r() * 3000));
  }
  return [...out.values()];
}

/**
 * A changed copy: about `rate` of the entries each changed, deleted (some
 * whole package directories) and added, with the parent directories'
 * mtimes moved where their contents changed — as a real upgrade does.
 */
export function upgrade(entries, rate = 0.0167, seed = 2) {
  const r = seeded(seed);
  const byPath = new Map(entries.map((e) => [e.path, e]));
  const touch = (path) => {
    const parent = path.slice(0, path.lastIndexOf("/"));
    const d = byPath.get(parent);
    if (d && d.mtime === T0) byPath.set(parent, { ...d, mtime: T0 + 1000 });
  };
  const files = entries.filter((e) => e.type !== "dir");
  for (let k = 0; k < entries.length * rate; k++) {
    const e = files[Math.floor(r() * files.length)];
    if (byPath.get(e.path) === e) byPath.set(e.path, { ...e, size: e.size + 1, mtime: e.mtime + 1000 });
  }
  let deleted = 0;
  while (deleted < entries.length * rate) {
    const e = entries[Math.floor(r() * entries.length)];
    if (!byPath.has(e.path) || e.path.split("/").length < 3) continue;
    // Deleting a directory takes its contents.
    for (const p of [...byPath.keys()]) if (p === e.path || p.startsWith(e.path + "/")) { byPath.delete(p); deleted++; }
    touch(e.path);
  }
  const dirs = [...byPath.values()].filter((e) => e.type === "dir");
  for (let k = 0; k < entries.length * rate; k++) {
    const d = dirs[Math.floor(r() * dirs.length)];
    const path = `${d.path}/new-${k}.${["so", "py", "conf", "mo"][k % 4]}`;
    byPath.set(path, { path, type: "file", mode: 0o644, uid: 0, gid: 0, size: k, mtime: T0 + 2000 });
    touch(path);
  }
  return [...byPath.values()];
}
