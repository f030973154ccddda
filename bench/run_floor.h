/* What both floors of `ward run` (run_floor_exec.c, run_floor_relay.c) do
 * before they start the command: parse `VAR=FILE... -- CMD [ARGS...]`, read
 * each value, and build the environment ward would give the child. Included
 * by both; each is built alone with `cc -O2`.
 */
#ifndef WARD_BENCH_RUN_FLOOR_H
#define WARD_BENCH_RUN_FLOOR_H

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

extern char** environ;

/* "VAR=FILE" -> a malloc'd "VAR=value" (the file's bytes, one trailing '\n'
 * dropped); exits 127 on error like a shell that cannot run the command. */
static char* floor_entry(const char* prog, const char* spec) {
  const char* eq = strchr(spec, '=');
  if (!eq || eq == spec) {
    fprintf(stderr, "%s: expected VAR=FILE, got '%s'\n", prog, spec);
    exit(2);
  }
  size_t name_len = (size_t)(eq - spec);
  int fd = open(eq + 1, O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    perror(eq + 1);
    exit(127);
  }
  char value[4096];
  size_t len = 0;
  for (;;) {
    ssize_t n = read(fd, value + len, sizeof value - len);
    if (n < 0) {
      perror(eq + 1);
      exit(127);
    }
    if (n == 0 || (len += (size_t)n) == sizeof value) break;
  }
  close(fd);
  if (len > 0 && value[len - 1] == '\n') --len;
  char* entry = malloc(name_len + 1 + len + 1);
  if (!entry) exit(127);
  memcpy(entry, spec, name_len + 1); /* "VAR=" */
  memcpy(entry + name_len + 1, value, len);
  entry[name_len + 1 + len] = '\0';
  return entry;
}

/* Parses argv; returns the environment (inherited entries for the variables
 * set are dropped, as ward does) and sets *cmd to the index of CMD in argv.
 * Exits 2 on a usage error, 127 when out of memory or a file is unreadable. */
static char** floor_env(const char* prog, int argc, char** argv, int* cmd) {
  int sep = 1;
  while (sep < argc && strcmp(argv[sep], "--") != 0) ++sep;
  if (sep + 1 >= argc) {
    fprintf(stderr, "usage: %s VAR=FILE... -- CMD [ARGS...]\n", prog);
    exit(2);
  }
  int n_vars = sep - 1;
  char** entries = malloc(((size_t)n_vars + 1) * sizeof *entries);
  if (!entries) exit(127);
  for (int v = 0; v < n_vars; ++v) entries[v] = floor_entry(prog, argv[v + 1]);
  size_t n_env = 0;
  while (environ[n_env]) ++n_env;
  char** envp = malloc((n_env + (size_t)n_vars + 1) * sizeof *envp);
  if (!envp) exit(127);
  size_t k = 0;
  for (size_t i = 0; i < n_env; ++i) {
    int shadowed = 0;
    for (int v = 0; v < n_vars && !shadowed; ++v) {
      size_t name_len = (size_t)(strchr(entries[v], '=') - entries[v]);
      shadowed = strncmp(environ[i], entries[v], name_len + 1) == 0;
    }
    if (!shadowed) envp[k++] = environ[i];
  }
  for (int v = 0; v < n_vars; ++v) envp[k++] = entries[v];
  envp[k] = NULL;
  free(entries);
  *cmd = sep + 1;
  return envp;
}

#endif
