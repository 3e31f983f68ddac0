/* Linux capabilities by name (no libcap): the table, and the steps that drop
 * them the way Docker's runtime does. */
#ifndef SKIFF_CAPS_H
#define SKIFF_CAPS_H

#include <stdint.h>

/* "CAP_CHOWN" or "chown" -> 0; -1 when unknown. */
int cap_from_name(const char *name);

/* Bounding set := keep (PR_CAPBSET_DROP the rest), ambient cleared. */
void caps_limit_bounding(uint64_t keep);

/* After the switch to the container user: uid 0 keeps permitted = effective =
 * keep; any other uid ends with nothing (setresuid already cleared it). The
 * inheritable set is always empty (Docker since 20.10.14, CVE-2022-24769). */
void caps_set_final(uint64_t keep, int is_root);

#endif
