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
#include "run_floor.h"

int main(int argc, char** argv) {
  int cmd = 0;
  char** envp = floor_env("run_floor_exec", argc, argv, &cmd);
  execve(argv[cmd], argv + cmd, envp);
  perror(argv[cmd]);
  return 127;
}
