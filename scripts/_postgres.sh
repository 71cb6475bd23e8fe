# Sourced by scripts/test: start a throw-away PostgreSQL on 127.0.0.1, or fail loudly.
find_pg_bin() {
  local d
  for d in $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -Vr); do
    [ -x "$d/initdb" ] && { echo "$d"; return 0; }
  done
  command -v initdb >/dev/null 2>&1 && { dirname "$(command -v initdb)"; return 0; }
  return 1
}

start_postgres() {
  local bin
  if ! bin="$(find_pg_bin)"; then
    echo "FATAL: PostgreSQL is not installed (no initdb). Install Debian's 'postgresql' package or set TEST_DATABASE_URL." >&2
    echo "FATAL: the PostgreSQL half of the suite cannot run; refusing to pass without it." >&2
    exit 3
  fi
  PG_DIR="$(mktemp -d /tmp/equipage-pg.XXXXXX)"
  PG_PORT="$(python -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')"
  local run=()
  if [ "$(id -u)" = "0" ]; then
    chown postgres "$PG_DIR" 2>/dev/null || { echo "FATAL: no 'postgres' user to run PostgreSQL as root." >&2; exit 3; }
    run=(runuser -u postgres --)
  fi
  "${run[@]}" "$bin/initdb" -D "$PG_DIR/data" -U postgres -A trust --no-sync -E UTF8 >"$PG_DIR/initdb.log" 2>&1 \
    || { cat "$PG_DIR/initdb.log" >&2; echo "FATAL: initdb failed." >&2; exit 3; }
  "${run[@]}" "$bin/pg_ctl" -D "$PG_DIR/data" -l "$PG_DIR/server.log" -w -t 30 \
    -o "-h 127.0.0.1 -p $PG_PORT -k $PG_DIR -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200" start >/dev/null \
    || { cat "$PG_DIR/server.log" >&2; echo "FATAL: PostgreSQL did not start." >&2; exit 3; }
  PG_URL="postgres://postgres@127.0.0.1:$PG_PORT/equipage"
  PG_STOP=("${run[@]}" "$bin/pg_ctl" -D "$PG_DIR/data" -m fast stop)
  trap 'stop_postgres' EXIT
  echo "PostgreSQL $("$bin/postgres" --version | awk '{print $3}') on 127.0.0.1:$PG_PORT"
}

stop_postgres() {
  "${PG_STOP[@]}" >/dev/null 2>&1 || true
  rm -rf "$PG_DIR"
}
