/* The I/O hub of skiff-monitor: the container process's stdio (pipes, or a
 * terminal's master), the json-file log, and the attach clients (lib/frames.h),
 * all on the monitor's one epoll set. Output goes to the log and to every
 * client; client frames go to stdin or resize the terminal. A slow client
 * holds back the process's output (as in Docker) rather than grow without
 * bound; too much unwritten stdin holds back the clients. */
#ifndef SKIFF_HUB_H
#define SKIFF_HUB_H

#include <stddef.h>
#include <stdint.h>

/* The epoll data of every registered fd points at one of these. */
enum watch_kind { WATCH_OWNER, WATCH_LISTEN, WATCH_OUTPUT, WATCH_STDIN, WATCH_CLIENT, WATCH_HEALTH };
struct watch {
  enum watch_kind kind; /* WATCH_OWNER (signals) and WATCH_HEALTH (lib/health.h) are not the hub's */
  int fd;
};

/* The process's ends as the monitor holds them (-1 when absent). */
struct hub_stdio {
  int stdout_fd, stderr_fd, stdin_fd, master;
};

/* log_path may be NULL. Returns -1 with errno when the log cannot be opened. */
int hub_init(int epfd, const char *log_path, int tty);
void hub_listen(int listen_fd);
void hub_stop_listening(const char *path);
void hub_add_client(int fd);

/* Serve a newly started process's stdio. */
void hub_attach(const struct hub_stdio *io);
/* Does the process still hold an output open? */
int hub_output_open(void);
/* Take what is already written, log the held partial lines, close its stdio. */
void hub_detach(void);

/* One epoll event on a hub watch. */
void hub_handle(struct watch *w, uint32_t events);

/* Send the exit frame to every client (after all output). */
void hub_send_exit(int code);
/* Bytes the clients have not yet taken. */
size_t hub_unsent(void);
void hub_close_clients(void);

#endif
