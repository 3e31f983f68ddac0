import { copyFileSync, mkdirSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";

// A tiny root filesystem for runtime tests: the static /bin/busybox of the
// host (busybox-static) and symlinks for the applets the tests call, plus an
// /etc/passwd and /etc/group with root and an ordinary user (uid 1000).

export const busyboxApplets = [
  "sh", "ls", "cat", "echo", "id", "sleep", "hostname", "mount", "ps", "kill", "grep", "touch", "mkdir", "wc",
  "true", "false", "env", "pwd", "readlink", "stat", "tty", "head", "stty", "umask", "ulimit", "rm", "chmod", "test",
] as const;

export interface RootfsOptions {
  /** Extra files: path inside the rootfs -> content (mode 0644 unless given). */
  files?: Record<string, string | { content: string; mode: number }>;
}

export function makeBusyboxRootfs(dir: string, opts: RootfsOptions = {}): string {
  for (const d of ["bin", "etc", "proc", "sys", "dev", "tmp", "root", "home/user"]) mkdirSync(join(dir, d), { recursive: true });
  copyFileSync("/bin/busybox", join(dir, "bin", "busybox"));
  for (const a of busyboxApplets) {
    // umask and ulimit are shell builtins; the links do no harm and keep `which` honest.
    try {
      symlinkSync("busybox", join(dir, "bin", a));
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== "EEXIST") throw e;
    }
  }
  writeFileSync(join(dir, "etc", "passwd"), "root:x:0:0:root:/root:/bin/sh\nuser:x:1000:1000:user:/home/user:/bin/sh\nnobody:x:65534:65534:nobody:/:/bin/false\n");
  writeFileSync(join(dir, "etc", "group"), "root:x:0:\ntty:x:5:\nuser:x:1000:\nnogroup:x:65534:\n");
  for (const [path, f] of Object.entries(opts.files ?? {})) {
    const target = join(dir, path);
    mkdirSync(join(target, ".."), { recursive: true });
    const { content, mode } = typeof f === "string" ? { content: f, mode: 0o644 } : f;
    writeFileSync(target, content, { mode });
  }
  return dir;
}
