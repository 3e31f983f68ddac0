/* Failure reports of the container runtime: one line, "error KIND MESSAGE\n",
 * on the sync fd (or stderr when there is none), then exit with the code the
 * host maps (125 set-up failed, 126 cannot execute, 127 not found). */
#ifndef SKIFF_REPORT_H
#define SKIFF_REPORT_H

/* Exit codes, as Docker uses them. */
#define EXIT_SETUP 125
#define EXIT_CANNOT_EXEC 126
#define EXIT_NOT_FOUND 127

/* Where failure lines go; -1 means stderr. */
void report_to(int fd);
int report_fd(void);

/* Write "error KIND MESSAGE\n" and _exit(code). Newlines in MESSAGE become spaces. */
__attribute__((noreturn, format(printf, 3, 4))) void die(int code, const char *kind, const char *fmt, ...);

/* die(125, KIND, "CALL PATH: strerror(errno)"), the common case of a failed syscall. */
__attribute__((noreturn)) void die_sys(const char *kind, const char *call, const char *path);

#endif
