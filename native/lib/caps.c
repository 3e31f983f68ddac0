#include "caps.h"

#include "report.h"

#include <errno.h>
#include <linux/capability.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

/* capability(7), in kernel order: the index is the capability number. */
static const char *const cap_names[] = {
    "CHOWN",           "DAC_OVERRIDE",    "DAC_READ_SEARCH", "FOWNER",          "FSETID",
    "KILL",            "SETGID",          "SETUID",          "SETPCAP",         "LINUX_IMMUTABLE",
    "NET_BIND_SERVICE", "NET_BROADCAST",  "NET_ADMIN",       "NET_RAW",         "IPC_LOCK",
    "IPC_OWNER",       "SYS_MODULE",      "SYS_RAWIO",       "SYS_CHROOT",      "SYS_PTRACE",
    "SYS_PACCT",       "SYS_ADMIN",       "SYS_BOOT",        "SYS_NICE",        "SYS_RESOURCE",
    "SYS_TIME",        "SYS_TTY_CONFIG",  "MKNOD",           "LEASE",           "AUDIT_WRITE",
    "AUDIT_CONTROL",   "SETFCAP",         "MAC_OVERRIDE",    "MAC_ADMIN",       "SYSLOG",
    "WAKE_ALARM",      "BLOCK_SUSPEND",   "AUDIT_READ",      "PERFMON",         "BPF",
    "CHECKPOINT_RESTORE",
};

int cap_from_name(const char *name) {
  if (!strncasecmp(name, "CAP_", 4)) name += 4;
  for (size_t i = 0; i < sizeof cap_names / sizeof cap_names[0]; i++)
    if (!strcasecmp(name, cap_names[i])) return (int)i;
  return -1;
}

/* The highest capability this kernel knows. */
static int last_cap(void) {
  char buf[32] = "";
  FILE *f = fopen("/proc/sys/kernel/cap_last_cap", "re");
  if (f) {
    if (!fgets(buf, sizeof buf, f)) buf[0] = 0;
    fclose(f);
  }
  int n = atoi(buf);
  if (n > 0) return n;
  /* Probe when /proc is not ours to read (an exec into a container whose
   * /proc is masked): PR_CAPBSET_READ fails with EINVAL past the last one. */
  for (n = 0; n < 63 && prctl(PR_CAPBSET_READ, n + 1, 0, 0, 0) >= 0; n++) {
  }
  return n;
}

void caps_limit_bounding(uint64_t keep) {
  int last = last_cap();
  for (int c = 0; c <= last; c++) {
    if (keep & (1ULL << c)) continue;
    if (prctl(PR_CAPBSET_DROP, c, 0, 0, 0) < 0 && errno != EINVAL)
      die(EXIT_SETUP, "caps", "prctl(PR_CAPBSET_DROP, CAP_%s): %s", c < (int)(sizeof cap_names / sizeof cap_names[0]) ? cap_names[c] : "?",
          strerror(errno));
  }
  if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0 && errno != EINVAL)
    die_sys("caps", "prctl(PR_CAP_AMBIENT_CLEAR_ALL)", NULL);
}

void caps_set_final(uint64_t keep, int is_root) {
  struct __user_cap_header_struct hdr = {_LINUX_CAPABILITY_VERSION_3, 0};
  struct __user_cap_data_struct data[2];
  /* Keep only what we hold: a name this kernel does not know is not an error. */
  if (syscall(SYS_capget, &hdr, data) < 0) die_sys("caps", "capget", NULL);
  uint64_t held = data[0].permitted | (uint64_t)data[1].permitted << 32;
  keep = is_root ? keep & held : 0;
  memset(data, 0, sizeof data);
  data[0].permitted = data[0].effective = (uint32_t)keep;
  data[1].permitted = data[1].effective = (uint32_t)(keep >> 32);
  if (syscall(SYS_capset, &hdr, data) < 0) die_sys("caps", "capset", NULL);
}
