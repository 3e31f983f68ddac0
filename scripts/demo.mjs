#!/usr/bin/env node
// The demo: make a small image from the host's static busybox (no network),
// import it as `skiff-demo`, and run a rootless container from it.
//
//   npm run demo            build if needed, import, run
//   npm run demo -- sh      ...and run an interactive shell in it instead

import { spawnSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import tar from "tar-stream";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const skiff = join(root, "bin", "skiff.js");
const IMAGE = "skiff-demo:latest";
const BUSYBOX = ["/bin/busybox", "/usr/bin/busybox"].find((p) => existsSync(p));

function die(msg, fix) {
  process.stderr.write(`demo: ${msg}\n${fix ? `  fix: ${fix}\n` : ""}`);
  process.exit(1);
}

function sk(args, opts = {}) {
  return spawnSync(process.execPath, [skiff, ...args], { stdio: "inherit", ...opts });
}

if (!BUSYBOX) die("no static busybox on this host", "sudo apt-get install busybox-static");
if (spawnSync(BUSYBOX, ["true"]).status !== 0) die(`${BUSYBOX} does not run`);
const build = spawnSync(process.execPath, [join(root, "scripts", "build.mjs"), "--if-needed"], { stdio: "inherit" });
if (build.status !== 0) die("the build failed");

/** A root filesystem tar: busybox, its applets as symlinks, a minimal /etc. */
async function rootfsTar() {
  const applets = spawnSync(BUSYBOX, ["--list"], { encoding: "utf8" }).stdout.split("\n").filter((a) => /^[\w.[-]+$/.test(a) && a !== "busybox");
  const pack = tar.pack();
  const mtime = new Date("2024-01-01T00:00:00Z");
  const dir = (name, mode = 0o755, uid = 0) => pack.entry({ name, type: "directory", mode, uid, gid: uid, mtime });
  const file = (name, content, mode = 0o644) => pack.entry({ name, mode, uid: 0, gid: 0, mtime }, content);
  for (const d of ["bin/", "dev/", "etc/", "proc/", "sys/", "var/", "root/"]) dir(d, d === "root/" ? 0o700 : 0o755);
  dir("tmp/", 0o1777);
  dir("home/", 0o755);
  dir("home/demo/", 0o755, 1000);
  file("bin/busybox", readFileSync(BUSYBOX), 0o755);
  for (const a of applets) pack.entry({ name: `bin/${a}`, type: "symlink", linkname: "busybox", mode: 0o777, mtime });
  file("etc/passwd", "root:x:0:0:root:/root:/bin/sh\ndemo:x:1000:1000:demo:/home/demo:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n");
  file("etc/group", "root:x:0:\ndemo:x:1000:\nnogroup:x:65534:\n");
  file("etc/motd", "skiff demo image: busybox from the host, imported without a network.\n");
  pack.finalize();
  const chunks = [];
  for await (const c of pack) chunks.push(c);
  return Buffer.concat(chunks);
}

const input = await rootfsTar();
console.log(`== importing ${IMAGE} (busybox ${BUSYBOX}, ${(input.length / 1e6).toFixed(1)} MB)`);
const imp = sk(["import", "--change", 'CMD ["sh"]', "--change", "ENV PATH=/bin", "-m", "skiff demo image", "-", IMAGE], { input, stdio: ["pipe", "inherit", "inherit"] });
if (imp.status !== 0) process.exit(imp.status ?? 1);
sk(["images", IMAGE]);

const extra = process.argv.slice(2);
if (extra.length) {
  console.log(`== skiff run -it --rm ${IMAGE} ${extra.join(" ")}`);
  process.exit(sk(["run", "-it", "--rm", IMAGE, ...extra]).status ?? 1);
}
const script = [
  "cat /etc/motd",
  'echo "id:       $(id)"',
  'echo "hostname: $(hostname)"',
  'echo "uid_map: " $(cat /proc/self/uid_map)',
  'echo "pid 1:    $(cat /proc/1/comm)  (processes seen: $(ls -d /proc/[0-9]* | wc -l))"',
  "echo hello > /tmp/greeting && echo \"wrote /tmp/greeting: $(cat /tmp/greeting)\"",
].join("; ");
console.log(`== skiff run --rm ${IMAGE} sh -c '…'`);
const r = sk(["run", "--rm", "--hostname", "demo", IMAGE, "sh", "-c", script]);
if (r.status !== 0) process.exit(r.status ?? 1);
console.log(`== done. Try: ./bin/skiff.js run -it --rm ${IMAGE}   (or: npm run demo -- sh)`);
