/* Remove a directory tree without leaving the mount it starts on: entries
 * that are mount points (a different mount id) are left alone, symlinks are
 * removed, never followed. Used by skiff-monitor for `run --rm`. */
#ifndef SKIFF_RMTREE_H
#define SKIFF_RMTREE_H

/* Returns 0, or -1 with errno set and *what naming the failing call and path
 * (a static string). A missing PATH is success. */
int remove_tree(const char *path, const char **what);

#endif
