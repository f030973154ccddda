#!/usr/bin/env bash
# ward's main job on a throwaway vault: nothing here touches your real vault.
set -euo pipefail
WARD=${1:-build/ward}
WARD=$(cd "$(dirname "$WARD")" && pwd)/$(basename "$WARD")
demo=$(mktemp -d /tmp/ward-demo.XXXXXX)
export WARD_HOME=$demo/home XDG_RUNTIME_DIR=$demo/run XDG_CONFIG_HOME=$demo/config
export XDG_CACHE_HOME=$demo/cache
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

printf '\n\033[1m# ward run: a command gets exactly what it is granted, masked in its output\033[0m\n'
mkdir -p "$XDG_CONFIG_HOME/ward"
tool=$(basename "$(readlink -f "$(command -v printenv)")")
printf '%s: [ANTHROPIC_API_KEY]\n' "$tool" > "$XDG_CONFIG_HOME/ward/allowlist.yaml"
printf '\n$ cat %s\n' "$XDG_CONFIG_HOME/ward/allowlist.yaml"; cat "$XDG_CONFIG_HOME/ward/allowlist.yaml"
step "$WARD" run --secure --secret llm/anthropic=ANTHROPIC_API_KEY --secret prod/db/password=DB_PASSWORD \
  -- printenv ANTHROPIC_API_KEY DB_PASSWORD || true
printf '\n(printenv printed the key it was allowed, masked; DB_PASSWORD was dropped by the allow-list)\n'
printf '\n\033[1m# encrypted environment: the shell holds only ciphertext bound to this agent session\033[0m\n'
mkdir -p "$XDG_CONFIG_HOME/ward/templates"
printf 'ANTHROPIC_API_KEY=${ward:llm/anthropic}\n' > "$XDG_CONFIG_HOME/ward/templates/shell.env"
step "$WARD" env --from shell --output shell
eval "$("$WARD" env --from shell --output shell)"
step "$WARD" run -- sh -c 'echo "the child sees: $ANTHROPIC_API_KEY"'
printf '\n$ printf "log: <the key>" | ward mask\n'
printf 'log: %s\n' "$("$WARD" run --mask never -- printenv ANTHROPIC_API_KEY)" | "$WARD" mask
unset ANTHROPIC_API_KEY
step "$WARD" lock
step "$WARD" status
printf '\nThe vault file never holds a value in the clear:\n'
if grep -q 'sk-ant-api03-demo' "$WARD_HOME/vault.db"; then echo "LEAK"; exit 1; else echo "  grep finds no plaintext in vault.db"; fi

printf '\n\033[1m# the audit trail: every access above, who asked, chained and signed\033[0m\n'
step "$WARD" audit tail -n 8
step "$WARD" audit query --secret llm/anthropic --since 1h
step "$WARD" unlock --ttl 10m
step "$WARD" audit verify
step "$WARD" lock
if grep -q 'sk-ant-api03-demo' "$WARD_HOME/audit.jsonl"; then echo "LEAK"; exit 1; else echo "  grep finds no value in audit.jsonl"; fi

printf '\n\033[1m# exposure scanning: secrets already lying around, found and moved into the vault\033[0m\n'
project="$demo/project"
mkdir -p "$project/config"
token="ghp_$(head -c 64 /dev/urandom | base64 | tr -dc 'A-Za-z0-9' | head -c 36)"
printf 'DEBUG=1\nGITHUB_TOKEN=%s\n' "$token" > "$project/.env"
printf 'server:\n  port: 8080\n  github_token: %s\n' "$token" > "$project/config/app.yaml"
printf 'print("hello")\n' > "$project/app.py"
step "$WARD" scan files "$project" || true
printf '\n(exit 1: found; the preview never shows a character of the value)\n'
step "$WARD" import --scan "$project" --prefix demo
printf '\n$ cat %s/.env\n' "$project"; cat "$project/.env"
step "$WARD" scan files "$project"
printf '\n(exit 0: the files now hold ${ward:demo/github_token} references)\n'
