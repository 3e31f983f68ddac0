/* The filesystem view of a new container, built inside its new mount
 * namespace from the spec's rootfs, mount, device, symlink, mask and
 * readonly-path directives. Paths inside the rootfs are resolved with
 * openat2(RESOLVE_IN_ROOT), so a symlink in an image cannot point a mount
 * outside of it; mounts are made on /proc/self/fd/N of the resolved target. */
#ifndef SKIFF_ROOTFS_H
#define SKIFF_ROOTFS_H

#include "spec.h"

/* Before pivot_root: propagation, the rootfs bind, mounts, devices, symlinks. */
void rootfs_prepare(const struct spec *s);

/* pivot_root into the rootfs and detach the old root. */
void rootfs_pivot(const struct spec *s);

/* After pivot_root: masked paths, read-only paths, the read-only root. */
void rootfs_finish(const struct spec *s);

#endif
