# pg-env.sh: a throwaway PostgreSQL 15 with TLS 1.3 and client certificates,
# as ../shared/research/sync.md §3 measured it. Source it; it starts the
# cluster and stops it (and removes everything) when the shell exits.
#
# Gives: PG_DIR, PG_PORT, PG_CA, PG_ADMIN_DSN (SCRAM over verify-full TLS),
# pg_client_cert NAME (writes $PG_DIR/NAME.crt/.key with CN = NAME, the
# role it may log in as), pg_psql [psql args] as the administrator,
# pg_stop_immediate, pg_start, pg_restart_immediate.
#
# Sites and central offices log in with a SCRAM password *and* a client certificate whose CN is
# their role (hostssl … scram-sha-256 clientcert=verify-full); a wrong
# certificate is refused before the password is asked.
#
# PG_ENV_FSYNC=off makes the tests' cluster faster; the benchmark leaves
# fsync on. initdb refuses to run as root, so as root the cluster runs as
# `postgres` (runuser).

PG_BIN=${PG_BIN:-$(pg_config --bindir 2>/dev/null)}
[ -x "$PG_BIN/initdb" ] || PG_BIN=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
if [ ! -x "$PG_BIN/initdb" ]; then
  echo "pg-env.sh: PostgreSQL server binaries not found (apt-get install postgresql)" >&2
  return 77 2>/dev/null || exit 77
fi

if [ "$(id -u)" = 0 ]; then
  pg_as () { runuser -u postgres -- "$@"; }
else
  pg_as () { "$@"; }
fi

PG_DIR=$(mktemp -d "${TMPDIR:-/tmp}/wt-pg.XXXXXX")
chmod 755 "$PG_DIR"
[ "$(id -u)" = 0 ] && chown postgres: "$PG_DIR"

# A free port: let the kernel choose, then hand it to the server.
PG_PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
PG_ADMIN_PW=$(head -c 18 /dev/urandom | base64 | tr '/+' 'xy')
PG_CA=$PG_DIR/ca.crt

pg_stop_immediate () { pg_as "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -m immediate -w stop >/dev/null 2>&1; }
pg_start () { pg_as "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -l "$PG_DIR/log" -w -t 60 start >/dev/null; }
pg_restart_immediate () { pg_stop_immediate; pg_start; }
pg_env_cleanup () {
  pg_stop_immediate
  rm -rf "$PG_DIR"
}
trap pg_env_cleanup EXIT

(
  set -e
  cd "$PG_DIR"
  openssl req -new -x509 -days 2 -nodes -subj /CN=wastetag-test-ca -keyout ca.key -out ca.crt 2>/dev/null
  openssl req -new -nodes -subj /CN=localhost -keyout server.key -out server.csr 2>/dev/null
  printf 'subjectAltName=DNS:localhost,IP:127.0.0.1\n' >san.ext
  openssl x509 -req -in server.csr -CA ca.crt -CAkey ca.key -CAcreateserial -days 2 \
    -out server.crt -extfile san.ext 2>/dev/null
  chmod 600 server.key
  printf '%s\n' "$PG_ADMIN_PW" >pw
  [ "$(id -u)" = 0 ] && chown postgres: server.key server.crt ca.crt pw
  pg_as "$PG_BIN/initdb" -D "$PG_DIR/data" -A scram-sha-256 --pwfile="$PG_DIR/pw" -E UTF8 \
    --locale=C.UTF-8 -U postgres >/dev/null
  rm -f pw
  cat >>"$PG_DIR/data/postgresql.conf" <<EOF
port = $PG_PORT
listen_addresses = '127.0.0.1'
unix_socket_directories = '$PG_DIR'
ssl = on
ssl_cert_file = '$PG_DIR/server.crt'
ssl_key_file = '$PG_DIR/server.key'
ssl_ca_file = '$PG_DIR/ca.crt'
ssl_min_protocol_version = 'TLSv1.3'
fsync = ${PG_ENV_FSYNC:-on}
shared_buffers = ${PG_ENV_SHARED_BUFFERS:-128MB}
max_wal_size = 4GB
EOF
  cat >"$PG_DIR/data/pg_hba.conf" <<EOF
local   all  postgres                      scram-sha-256
hostssl all  postgres        127.0.0.1/32  scram-sha-256
hostssl all  +wastetag_site  127.0.0.1/32  scram-sha-256 clientcert=verify-full
hostssl all  +wastetag_central  127.0.0.1/32  scram-sha-256 clientcert=verify-full
hostssl all  all             127.0.0.1/32  cert clientcert=verify-full
EOF
  pg_start
) || { echo "pg-env.sh: the throwaway PostgreSQL did not start; see $PG_DIR/log" >&2; return 1 2>/dev/null || exit 1; }

PG_ADMIN_DSN="host=127.0.0.1 port=$PG_PORT dbname=wastetag user=postgres password=$PG_ADMIN_PW sslmode=verify-full sslrootcert=$PG_CA"

pg_psql () {
  PGPASSWORD=$PG_ADMIN_PW psql -X -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$PG_PORT" -U postgres \
    "sslmode=verify-full sslrootcert=$PG_CA dbname=${PG_DB:-wastetag}" "$@"
}

PG_DB=postgres pg_psql -c 'CREATE DATABASE wastetag' >/dev/null

# A client certificate for role NAME, signed by the test CA (and, with a
# second argument "rogue", by a CA the server does not trust).
pg_client_cert () {
  local name=$1 ca=ca
  if [ "${2:-}" = rogue ]; then
    ca=rogue-ca
    [ -f "$PG_DIR/rogue-ca.crt" ] || openssl req -new -x509 -days 2 -nodes -subj /CN=rogue-ca \
      -keyout "$PG_DIR/rogue-ca.key" -out "$PG_DIR/rogue-ca.crt" 2>/dev/null
  fi
  openssl req -new -nodes -subj "/CN=$name" -keyout "$PG_DIR/$name.key" -out "$PG_DIR/$name.csr" 2>/dev/null
  openssl x509 -req -in "$PG_DIR/$name.csr" -CA "$PG_DIR/$ca.crt" -CAkey "$PG_DIR/$ca.key" \
    -CAcreateserial -days 2 -out "$PG_DIR/$name.crt" 2>/dev/null
  chmod 600 "$PG_DIR/$name.key"
}
