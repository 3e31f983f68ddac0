#!/usr/bin/env bash
# One-time host set-up for skiff and its tests, run as root (sudo):
#   sudo scripts/setup-host.sh [USER]
# Installs the Debian/Ubuntu packages skiff uses (uidmap, fuse-overlayfs,
# slirp4netns, iptables, busybox-static, a C compiler) and the reference tools its tests
# compare against (podman, buildah, skopeo, crun, umoci, docker-registry, tmux,
# and the Docker API clients: a docker CLI, docker-compose, python3-docker);
# gives USER (default: the user who ran sudo) subordinate id ranges of 65536
# ids when it has none; makes /dev/fuse and /dev/net/tun usable.
# Safe to run again. Nothing here runs skiff itself: skiff never needs root.
set -euo pipefail
export DEBIAN_FRONTEND=noninteractive

if [ "$(id -u)" -ne 0 ]; then
  echo "setup-host: run me as root: sudo $0 ${1:-}" >&2
  exit 1
fi
TARGET="${1:-${SUDO_USER:-}}"

apt-get update -qq >/dev/null || echo "setup-host: apt-get update failed; using the current package lists" >&2
apt-get install -y -qq --no-install-recommends \
  uidmap fuse-overlayfs fuse3 slirp4netns busybox-static iproute2 iptables \
  make gcc libc6-dev ca-certificates util-linux procps rsync tmux \
  podman buildah skopeo crun umoci docker-registry apache2-utils \
  docker-compose python3-docker >/dev/null

# The Docker API tests drive skiff's socket with the real docker CLI. Where
# none is installed, Debian's docker.io brings one; its daemon is not started.
if ! command -v docker >/dev/null; then
  printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d && chmod +x /usr/sbin/policy-rc.d
  apt-get install -y -qq --no-install-recommends docker.io >/dev/null || echo "setup-host: could not install a docker CLI" >&2
  rm -f /usr/sbin/policy-rc.d
fi

if ! command -v node >/dev/null || [ "$(node -p 'process.versions.node.split(".")[0]')" -lt 20 ]; then
  echo "setup-host: Node.js 20 or newer is needed (Debian 12 ships 18: see https://nodejs.org/en/download)" >&2
  exit 1
fi

if [ -n "$TARGET" ] && [ "$TARGET" != root ]; then
  # Next free range above every existing one, as useradd would pick.
  next=$(cat /etc/subuid /etc/subgid 2>/dev/null | awk -F: 'BEGIN{m=100000} {e=$2+$3; if (e>m) m=e} END{print m}')
  for f in /etc/subuid /etc/subgid; do
    if ! grep -q "^$TARGET:" "$f" 2>/dev/null && ! grep -q "^$(id -u "$TARGET"):" "$f" 2>/dev/null; then
      echo "$TARGET:$next:65536" >>"$f"
      echo "setup-host: gave $TARGET the ids $next-$((next + 65535)) in $f"
    fi
  done
fi

# Machines without udev (containers, some VMs) may lack the device nodes or
# leave them root-only; distributions normally ship both 0666.
[ -e /dev/fuse ] || mknod -m 0666 /dev/fuse c 10 229
chmod 0666 /dev/fuse
mkdir -p /dev/net
[ -e /dev/net/tun ] || mknod -m 0666 /dev/net/tun c 10 200
chmod 0666 /dev/net/tun
echo "setup-host: done"
