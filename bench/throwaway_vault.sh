# Sourced by bench/run.sh and bench/run_bench.sh: a throwaway ward home.
#
#   throwaway_vault NAME   # needs $WARD (the binary); sets and exports TMP
#
# Makes TMP=$(mktemp -d .../NAME.XXXXXX) and points WARD_HOME, XDG_RUNTIME_DIR,
# XDG_CONFIG_HOME, XDG_DATA_HOME and XDG_STATE_HOME inside it, with the
# passphrase in a 0600 file named by WARD_PASSPHRASE_FILE and NO_COLOR set.
# On exit (or INT/TERM) the agent of that vault is locked and TMP removed.
# Nothing of the user's own vault or agent is touched.

throwaway_vault() {
  TMP=$(mktemp -d "${TMPDIR:-/tmp}/$1.XXXXXX")
  trap _throwaway_vault_cleanup EXIT
  trap 'exit 130' INT
  trap 'exit 143' TERM
  export WARD_HOME=$TMP/home
  export XDG_RUNTIME_DIR=$TMP/run
  export XDG_CONFIG_HOME=$TMP/config
  export XDG_DATA_HOME=$TMP/data
  export XDG_STATE_HOME=$TMP/state
  export WARD_PASSPHRASE_FILE=$TMP/passphrase
  export NO_COLOR=1
  mkdir -p "$XDG_RUNTIME_DIR" "$XDG_CONFIG_HOME" "$XDG_DATA_HOME" "$XDG_STATE_HOME"
  chmod 700 "$TMP" "$XDG_RUNTIME_DIR"
  # ward refuses a passphrase file that others can read.
  (umask 077 && printf 'correct horse battery staple, benchmark edition 42\n' >"$WARD_PASSPHRASE_FILE")
}

_throwaway_vault_cleanup() {
  local rc=$?
  trap - EXIT INT TERM
  if [[ ${WARD_HOME:-} = "$TMP/home" && -e $WARD_HOME/vault.db ]]; then
    "$WARD" lock >/dev/null 2>&1 || true
  fi
  rm -rf "$TMP"
  exit "$rc"
}
