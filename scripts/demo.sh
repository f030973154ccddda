#!/usr/bin/env bash
# ward's main job on a throwaway vault: nothing here touches your real vault.
set -euo pipefail
WARD=${1:-build/ward}
WARD=$(cd "$(dirname "$WARD")" && pwd)/$(basename "$WARD")
demo=$(mktemp -d /tmp/ward-demo.XXXXXX)
export WARD_HOME=$demo/home XDG_RUNTIME_DIR=$demo/run XDG_CONFIG_HOME=$demo/config
mkdir -m 700 "$XDG_RUNTIME_DIR"
cleanup() { "$WARD" lock >/dev/null 2>&1 || true; rm -rf "$demo"; }
trap cleanup EXIT
umask 077
printf 'correct horse battery staple demo\n' > "$demo/passphrase"
export WARD_PASSPHRASE_FILE=$demo/passphrase

step() { printf '\n\033[1m$ %s\033[0m\n' "$*"; "$@"; }

step "$WARD" init --kdf interactive
printf 'sk-ant-api03-demo-0123456789abcdefghijklmnopqrstuvwxyz' | step "$WARD" set llm/anthropic --stdin --owner you --tag llm
step "$WARD" set prod/db/password --generate 40 --owner ops --rotate-every 90d
step "$WARD" ls
step "$WARD" get llm/anthropic
step "$WARD" unlock --ttl 1h --idle 10m
step "$WARD" status
step "$WARD" get prod/db/password
step "$WARD" lock
step "$WARD" status
printf '\nThe vault file never holds a value in the clear:\n'
if grep -q 'sk-ant-api03-demo' "$WARD_HOME/vault.db"; then echo "LEAK"; exit 1; else echo "  grep finds no plaintext in vault.db"; fi
