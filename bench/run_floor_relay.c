/* The physical floor of `ward run --secret PATH=VAR -- CMD` when ward masks
 * output and its stdout is not a terminal: what any relaying launcher must do
 * at least — read the value, add VAR=value to the environment, posix_spawn
 * the command with its stdout and stderr on pipes, copy both to its own with
 * poll/read/write until end of file, waitpid, and exit with the child's
 * status (128+N if killed by signal N). It copies bytes as they are; the
 * masking itself is not part of the floor.
 *
 *   cc -O2 -o run_floor_relay bench/run_floor_relay.c
 *   run_floor_relay VAR=FILE [VAR=FILE...] -- CMD [ARGS...]
 *
 * CMD is a path, not searched in PATH. bench/run_bench.sh times it next to
 * ward run.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "run_floor.h"

static int write_all(int fd, const char* p, size_t n) {
  while (n > 0) {
    ssize_t w = write(fd, p, n);
    if (w < 0) {
      if (errno == EINTR) continue;
      return -1;
    }
    p += w;
    n -= (size_t)w;
  }
  return 0;
}

int main(int argc, char** argv) {
  int cmd = 0;
  char** envp = floor_env("run_floor_relay", argc, argv, &cmd);

  int out_pipe[2], err_pipe[2];
  if (pipe2(out_pipe, O_CLOEXEC) != 0 || pipe2(err_pipe, O_CLOEXEC) != 0) {
    perror("pipe2");
    return 127;
  }
  /* A reader that goes away (`| head`) must not kill us mid-relay. */
  signal(SIGPIPE, SIG_IGN);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, out_pipe[1], STDOUT_FILENO);
  posix_spawn_file_actions_adddup2(&actions, err_pipe[1], STDERR_FILENO);
  posix_spawnattr_t attr;
  posix_spawnattr_init(&attr);
  sigset_t defaults;
  sigemptyset(&defaults);
  sigaddset(&defaults, SIGPIPE);
  posix_spawnattr_setsigdefault(&attr, &defaults);
  posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGDEF);
  pid_t child;
  int rc = posix_spawn(&child, argv[cmd], &actions, &attr, argv + cmd, envp);
  posix_spawn_file_actions_destroy(&actions);
  posix_spawnattr_destroy(&attr);
  if (rc != 0) {
    errno = rc;
    perror(argv[cmd]);
    return 127;
  }
  close(out_pipe[1]);
  close(err_pipe[1]);

  static char buf[64 * 1024];
  struct pollfd fds[2] = {{out_pipe[0], POLLIN, 0}, {err_pipe[0], POLLIN, 0}};
  const int targets[2] = {STDOUT_FILENO, STDERR_FILENO};
  int open_count = 2;
  while (open_count > 0) {
    if (poll(fds, 2, -1) < 0) {
      if (errno == EINTR) continue;
      perror("poll");
      return 1;
    }
    for (int i = 0; i < 2; ++i) {
      if (fds[i].fd < 0 || !(fds[i].revents & (POLLIN | POLLHUP | POLLERR))) continue;
      ssize_t n = read(fds[i].fd, buf, sizeof buf);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) {
        close(fds[i].fd);
        fds[i].fd = -1; /* poll ignores negative descriptors */
        --open_count;
      } else {
        (void)write_all(targets[i], buf, (size_t)n);
      }
    }
  }

  int status;
  while (waitpid(child, &status, 0) < 0) {
    if (errno != EINTR) {
      perror("waitpid");
      return 1;
    }
  }
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
  return 1;
}
