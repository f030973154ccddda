/* The physical floor of `ward run --mask never --secret PATH=VAR -- CMD`:
 * what any launcher must do at least — read the value, add VAR=value to the
 * environment, execve the command in its own place. No agent, no masking.
 *
 *   cc -O2 -o run_floor_exec bench/run_floor_exec.c
 *   run_floor_exec VAR=FILE [VAR=FILE...] -- CMD [ARGS...]
 *
 * Each VAR gets the contents of FILE (a trailing newline dropped). CMD is an
 * absolute or relative path, not searched in PATH. bench/run_bench.sh times
 * it next to ward run.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

extern char** environ;

/* "VAR=FILE" -> a malloc'd "VAR=value" (the file's bytes, one trailing '\n'
 * dropped); exits 127 on error like a shell that cannot run the command. */
static char* entry_from(const char* spec) {
  const char* eq = strchr(spec, '=');
  if (!eq || eq == spec) {
    fprintf(stderr, "run_floor_exec: expected VAR=FILE, got '%s'\n", spec);
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

int main(int argc, char** argv) {
  int sep = 1;
  while (sep < argc && strcmp(argv[sep], "--") != 0) ++sep;
  if (sep + 1 >= argc) {
    fprintf(stderr, "usage: run_floor_exec VAR=FILE... -- CMD [ARGS...]\n");
    return 2;
  }
  int n_vars = sep - 1;
  char** entries = malloc(((size_t)n_vars + 1) * sizeof *entries);
  if (!entries) return 127;
  for (int v = 0; v < n_vars; ++v) entries[v] = entry_from(argv[v + 1]);
  size_t n_env = 0;
  while (environ[n_env]) ++n_env;
  char** envp = malloc((n_env + (size_t)n_vars + 1) * sizeof *envp);
  if (!envp) return 127;
  size_t k = 0;
  for (size_t i = 0; i < n_env; ++i) {
    /* Drop inherited entries for the variables we set, as ward does. */
    int shadowed = 0;
    for (int v = 0; v < n_vars && !shadowed; ++v) {
      size_t name_len = (size_t)(strchr(entries[v], '=') - entries[v]);
      shadowed = strncmp(environ[i], entries[v], name_len + 1) == 0;
    }
    if (!shadowed) envp[k++] = environ[i];
  }
  for (int v = 0; v < n_vars; ++v) envp[k++] = entries[v];
  envp[k] = NULL;
  execve(argv[sep + 1], argv + sep + 1, envp);
  perror(argv[sep + 1]);
  return 127;
}
