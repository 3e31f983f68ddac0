/* skiff-init: a minimal init for `run --init` (the job of tini or catatonit).
 * It runs as pid 1 inside arbitrary images, so it is linked statically.
 *
 * usage: skiff-init [--] CMD [ARG...]
 *
 * Starts CMD as a child in its own process group (given the terminal when
 * stdin is one), passes on every signal it receives except SIGCHLD (the
 * synchronous fault signals keep their default), reaps every process that
 * ends up as its child (orphans of the container re-parent to pid 1), and
 * exits with CMD's status: its exit code, or 128+N if signal N killed it.
 * Errors: "skiff-init: ..." on stderr and exit 125 (usage), 126 (CMD could
 * not be executed) or 127 (CMD not found).
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

/* Raised by a fault in this process itself; blocking them would hide a crash. */
static int synchronous(int sig) {
  return sig == SIGSEGV || sig == SIGBUS || sig == SIGILL || sig == SIGFPE || sig == SIGTRAP || sig == SIGSYS || sig == SIGABRT;
}

__attribute__((noreturn)) static void start_child(char **cmd, const sigset_t *old_mask) {
  setpgid(0, 0);
  if (isatty(STDIN_FILENO)) {
    /* A background group asking for the terminal gets SIGTTOU unless it ignores it. */
    signal(SIGTTOU, SIG_IGN);
    if (tcsetpgrp(STDIN_FILENO, getpid()) < 0 && errno != ENOTTY && errno != ENXIO)
      fprintf(stderr, "skiff-init: tcsetpgrp: %s\n", strerror(errno));
    signal(SIGTTOU, SIG_DFL);
  }
  sigprocmask(SIG_SETMASK, old_mask, NULL);
  execvp(cmd[0], cmd);
  int e = errno;
  fprintf(stderr, "skiff-init: exec %s: %s\n", cmd[0], strerror(e));
  _exit(e == ENOENT ? 127 : 126);
}

int main(int argc, char **argv) {
  int first = 1;
  if (first < argc && !strcmp(argv[first], "--")) first++;
  if (first >= argc) {
    fprintf(stderr, "skiff-init: usage: skiff-init [--] CMD [ARG...]\n");
    return 125;
  }
  sigset_t all, old;
  sigfillset(&all);
  for (int sig = 1; sig < NSIG; sig++)
    if (synchronous(sig)) sigdelset(&all, sig);
  sigprocmask(SIG_BLOCK, &all, &old);
  /* Not pid 1 (e.g. started under another init): orphans must still come here. */
  if (getpid() != 1) prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0);

  pid_t child = fork();
  if (child < 0) {
    fprintf(stderr, "skiff-init: fork: %s\n", strerror(errno));
    return 125;
  }
  if (child == 0) start_child(argv + first, &old);
  setpgid(child, child); /* also here, so no signal can find the group missing */

  for (;;) {
    siginfo_t si;
    int sig = sigwaitinfo(&all, &si);
    if (sig < 0) continue;
    if (sig != SIGCHLD) {
      if (kill(child, sig) < 0 && errno != ESRCH) fprintf(stderr, "skiff-init: kill %d: %s\n", (int)child, strerror(errno));
      continue;
    }
    int st, status = -1;
    pid_t p;
    while ((p = waitpid(-1, &st, WNOHANG)) > 0)
      if (p == child) status = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
    if (status >= 0) return status;
  }
}
