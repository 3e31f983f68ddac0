/* The last steps before the container process runs, shared by `run` (after
 * pivot_root) and `exec` (after setns): the sync-before-exec handshake, the
 * session and terminal, cwd, rlimits, umask, capabilities and user,
 * no_new_privs, a clean signal state, no stray fds, and the exec itself. */
#ifndef SKIFF_PROCESS_H
#define SKIFF_PROCESS_H

#include "spec.h"

/* Never returns: execs the spec's argv or reports why not on sync_fd.
 * console_fd is the --console-socket (or -1); create_cwd makes a missing cwd
 * (as `run` does, like runc), else a missing cwd is an error. */
__attribute__((noreturn)) void process_start(const struct spec *s, int sync_fd, int console_fd, int create_cwd);

#endif
