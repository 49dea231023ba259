#!/bin/sh
# The container's entrypoint: `serve` (the default), any grantql command
# (`org create acme --owner boss@acme.example`, `export --out /data/backup.ndjson`, ...),
# or any other program (`sh`). Runs from a checkout too: scripts/docker-entrypoint.sh serve.
set -eu

APP=$(CDPATH= cd -- "$(dirname -- "$0")/.." && pwd)
: "${GRANTQL_DATA_DIR:=./data}"
export GRANTQL_DATA_DIR

if [ "$#" -eq 0 ]; then
  set -- serve
fi

case "$1" in
  serve | migrate | org | key | preset | schema | export | import | help | -*)
    # SQLite and owner.key live in the data directory: say plainly when this user cannot write it
    # (a volume mounted from the host keeps the host's owner).
    if [ "$1" != help ] && [ "$1" != schema ] && [ "${1#-}" = "$1" ]; then
      mkdir -p -- "$GRANTQL_DATA_DIR" 2>/dev/null || true
      if [ ! -d "$GRANTQL_DATA_DIR" ] || [ ! -w "$GRANTQL_DATA_DIR" ]; then
        echo "grantql: GRANTQL_DATA_DIR $GRANTQL_DATA_DIR is not a directory this user (uid $(id -u)) can write: chown it to $(id -u), or mount a volume there" >&2
        exit 1
      fi
    fi
    # exec: signals (SIGTERM from docker stop) reach the server itself, which stops cleanly.
    exec node "$APP/bin/grantql.js" "$@"
    ;;
  *)
    exec "$@"
    ;;
esac
