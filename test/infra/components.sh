# shellcheck shell=bash
# test/infra/components.sh — per-component start/stop/health logic shared by up, down,
# restart and status. Not meant to be run; sourced after lib.sh:
#   source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
#   source "$(dirname "${BASH_SOURCE[0]}")/components.sh"
#
# Each daemon <c> in postgres, rabbitmq, minio, redis has:
#   <c>_healthy   quick check (pidfile + protocol ping), exit 0 if healthy
#   <c>_start     start (assumes not healthy), waits until ready, wipes data if it cannot start
#   <c>_stop      stop and make sure no process of it is left
#   <c>_env       print export lines for $SWITCHYARD_RUN/<c>.env

MINIO_ROOT_USER_VALUE="${SWITCHYARD_MINIO_ROOT_USER:-switchyard}"
MINIO_ROOT_PASSWORD_VALUE="${SWITCHYARD_MINIO_ROOT_PASSWORD:-switchyard-secret}"
RABBIT_USER=switchyard
RABBIT_PASS=switchyard

# pid of the process listening on 127.0.0.1:PORT (or any address), empty if none/unknown
pid_on_port() {
  ss -ltnpH "sport = :$1" 2>/dev/null | sed -n 's/.*pid=\([0-9]*\).*/\1/p' | awk 'NR==1'
}

# Refuse to start when a foreign process holds our port.
ensure_port_free() { # comp port
  if port_open 127.0.0.1 "$2"; then
    local p; p="$(pid_on_port "$2")"
    die "$1: port $2 is already in use by pid ${p:-?} ($(tr '\0' ' ' <"/proc/${p:-0}/cmdline" 2>/dev/null || echo unknown)); set another port (see test/infra/lib.sh)"
  fi
}

# ======================================================================== postgres

PG_PATTERN='(^|/)postgres( |$)'
pg_dir() { comp_dir postgres; }
pg_data() { echo "$(pg_dir)/data"; }
pg_ctl() { run_as_postgres "$PG_BIN/pg_ctl" "$@"; }

postgres_healthy() {
  load_settings postgres
  read_pid postgres "$PG_PATTERN" >/dev/null || return 1
  "$PG_BIN/pg_isready" -q -h 127.0.0.1 -p "$SWITCHYARD_PG_PORT" -t 3
}

# removes postmaster.pid / socket lock files left by a postmaster that no longer exists
pg_clean_stale() {
  local data pm pid
  data="$(pg_data)"; pm="$data/postmaster.pid"
  if [[ -f "$pm" ]]; then
    pid="$(head -n1 "$pm" | tr -dc 0-9)"
    if ! pid_matches "$pid" "$PG_PATTERN"; then
      log "postgres: removing stale $pm (pid $pid is gone)"
      rm -f "$pm"
    fi
  fi
  [[ -f "$pm" ]] || rm -f "$(pg_dir)"/.s.PGSQL.*.lock
}

pg_init() {
  local dir data
  dir="$(pg_dir)"; data="$(pg_data)"
  rm -rf "$data"
  mkdir -p "$data"
  [[ "$(id -u)" == 0 ]] && chown -R postgres:postgres "$dir"
  chmod 700 "$data"
  log "postgres: initdb $data"
  run_as_postgres "$PG_BIN/initdb" -D "$data" -U switchyard --auth=trust -E UTF8 --locale=C.UTF-8 \
    >>"$dir/initdb.log" 2>&1 || { tail -n 20 "$dir/initdb.log" >&2; return 1; }
  cat >>"$data/postgresql.conf" <<'EOF'

# --- switchyard test/infra
listen_addresses = '127.0.0.1'
max_connections = 200
EOF
}

pg_launch() {
  local dir data
  dir="$(pg_dir)"; data="$(pg_data)"
  pg_clean_stale
  # pg_ctl puts the postmaster in its own session (setsid); fd 9 is our lock, not for it
  (cd "$dir" && pg_ctl -D "$data" -l "$dir/postgres.log" -w -t 60 \
    -o "-p $SWITCHYARD_PG_PORT -c listen_addresses=127.0.0.1 -c unix_socket_directories=$dir" \
    start >/dev/null 9>&-) || { tail -n 20 "$dir/postgres.log" >&2; return 1; }
  local pid
  pid="$(head -n1 "$data/postmaster.pid" | tr -dc 0-9)"
  write_pid postgres "$pid"
  "$PG_BIN/pg_isready" -q -h 127.0.0.1 -p "$SWITCHYARD_PG_PORT" -t 30
}

postgres_start() {
  load_settings postgres
  save_settings postgres SWITCHYARD_PG_PORT
  local dir data
  dir="$(pg_dir)"; data="$(pg_data)"
  mkdir -p "$dir"
  [[ "$(id -u)" == 0 ]] && chown postgres:postgres "$dir"
  pg_clean_stale
  ensure_port_free postgres "$SWITCHYARD_PG_PORT"
  if [[ ! -s "$data/PG_VERSION" ]]; then pg_init; fi
  if ! pg_launch; then
    warn "postgres: could not start on existing data; WIPING $data and re-initialising (test data is disposable)"
    pg_stop_quiet
    pg_init
    pg_launch || die "postgres: failed to start (see $dir/postgres.log)"
  fi
  if [[ -z "$("$PG_BIN/psql" -h 127.0.0.1 -p "$SWITCHYARD_PG_PORT" -U switchyard -d postgres -tAc \
    "select 1 from pg_database where datname = 'switchyard'")" ]]; then
    "$PG_BIN/createdb" -h 127.0.0.1 -p "$SWITCHYARD_PG_PORT" -U switchyard switchyard
  fi
  log "postgres: up on 127.0.0.1:$SWITCHYARD_PG_PORT (data $data)"
}

pg_stop_quiet() {
  local data pid
  data="$(pg_data)"
  if [[ -f "$data/postmaster.pid" ]]; then
    pid="$(head -n1 "$data/postmaster.pid" | tr -dc 0-9)"
    if pid_matches "$pid" "$PG_PATTERN"; then
      local tree; tree="$(descendants "$pid" || true)"
      pg_ctl -D "$data" -m fast -w -t 30 stop >/dev/null 2>&1 || true
      stop_pid "$pid" 10 || true
      kill_pids "$tree" 5
    fi
  fi
  local p; p="$(read_pid postgres "$PG_PATTERN" 2>/dev/null || true)"
  if [[ -n "$p" ]]; then stop_pid "$p" 10; fi
  rm -f "$(pidfile_of postgres)"
  pg_clean_stale
}

postgres_stop() {
  load_settings postgres
  pg_stop_quiet
  local p; p="$(pid_on_port "$SWITCHYARD_PG_PORT")"
  if [[ -n "$p" ]] && pid_matches "$p" "$PG_PATTERN.*$(pg_data)"; then stop_pid "$p" 10; fi
}

postgres_env() {
  load_settings postgres
  echo "export SWITCHYARD_TEST_PG_URL='postgres://switchyard@127.0.0.1:$SWITCHYARD_PG_PORT/switchyard'"
}

# ======================================================================== rabbitmq

RABBIT_PATTERN='rabbitmq-server'
# The broker shares this machine's few cores with the workers and tests: Erlang's schedulers
# must not spin while waiting for work (the spinning shows as broker CPU and takes it from
# every other process; see "busy waiting" in RabbitMQ's runtime tuning guide).
RABBIT_ERL_SCHEDULER_ARGS="${SWITCHYARD_RABBIT_ERL_SCHEDULER_ARGS-+sbwt none +sbwtdcpu none +sbwtdio none}"
BEAM_PATTERN='beam'
rabbit_dir() { comp_dir rabbitmq; }
rabbit_home() { echo "$(rabbit_dir)/home"; }

# CLI prefix for our node: the real rabbitmqctl (Debian's /usr/sbin one su's to the rabbitmq user
# and uses /var/lib/rabbitmq's cookie), with HOME pointing at the cookie the server uses.
rabbit_cli() { # tool
  echo "env HOME=$(rabbit_home) $RABBIT_LIB/$1 -n $RABBIT_NODE"
}
rabbitctl() { env HOME="$(rabbit_home)" "$RABBIT_LIB/rabbitmqctl" -n "$RABBIT_NODE" "$@"; }

rabbit_mgmt() { # METHOD PATH [curl args...] — prints body, fails on HTTP error
  local m="$1" p="$2"; shift 2
  curl -fsS --max-time 10 -u "$RABBIT_USER:$RABBIT_PASS" -X "$m" \
    "http://127.0.0.1:$SWITCHYARD_RABBIT_MGMT_PORT$p" "$@"
}

rabbitmq_healthy() {
  load_settings rabbitmq
  read_pid rabbitmq "$RABBIT_PATTERN" >/dev/null || return 1
  port_open 127.0.0.1 "$SWITCHYARD_RABBIT_PORT" || return 1
  rabbit_mgmt GET /api/health/checks/virtual-hosts >/dev/null 2>&1
}

rabbit_write_config() {
  local dir home
  dir="$(rabbit_dir)"; home="$(rabbit_home)"
  mkdir -p "$dir/mnesia" "$dir/log" "$home"
  chmod 700 "$home"
  if [[ ! -s "$home/.erlang.cookie" ]]; then
    (umask 077; openssl rand -hex 20 | tr a-f A-F >"$home/.erlang.cookie")
  fi
  chmod 400 "$home/.erlang.cookie"
  : >"$dir/rabbitmq-env.conf"   # isolate from /etc/rabbitmq/rabbitmq-env.conf
  echo '[rabbitmq_management].' >"$dir/enabled_plugins"
  cat >"$dir/rabbitmq.conf" <<EOF
# generated by test/infra (switchyard)
listeners.tcp.1 = 127.0.0.1:$SWITCHYARD_RABBIT_PORT
management.tcp.ip = 127.0.0.1
management.tcp.port = $SWITCHYARD_RABBIT_MGMT_PORT
# created when the database is first initialised (replaces guest)
default_user = $RABBIT_USER
default_pass = $RABBIT_PASS
default_user_tags.administrator = true
default_permissions.configure = .*
default_permissions.read = .*
default_permissions.write = .*
log.console = false
log.file.level = ${SWITCHYARD_RABBIT_LOG_LEVEL:-info}
EOF
  # extra rabbitmq.conf lines, e.g. SWITCHYARD_RABBIT_CONF_EXTRA=$'heartbeat = 10\n'
  if [[ -n "${SWITCHYARD_RABBIT_CONF_EXTRA:-}" ]]; then printf '%s\n' "$SWITCHYARD_RABBIT_CONF_EXTRA" >>"$dir/rabbitmq.conf"; fi
}

rabbit_launch() {
  local dir
  dir="$(rabbit_dir)"
  rm -f "$dir/beam.pid"
  if [[ -f "$dir/log/console.log" ]]; then mv -f "$dir/log/console.log" "$dir/log/console.log.prev"; fi
  # erl starts epmd on demand; bind it and the distribution listener to loopback
  start_daemon rabbitmq "$dir/log/console.log" env \
    HOME="$(rabbit_home)" \
    ERL_EPMD_ADDRESS=127.0.0.1 \
    ERL_CRASH_DUMP="$dir/erl_crash.dump" \
    RABBITMQ_NODENAME="$RABBIT_NODE" \
    RABBITMQ_CONF_ENV_FILE="$dir/rabbitmq-env.conf" \
    RABBITMQ_CONFIG_FILE="$dir/rabbitmq.conf" \
    RABBITMQ_ADVANCED_CONFIG_FILE="$dir/advanced.config" \
    RABBITMQ_ENABLED_PLUGINS_FILE="$dir/enabled_plugins" \
    RABBITMQ_MNESIA_BASE="$dir/mnesia" \
    RABBITMQ_LOG_BASE="$dir/log" \
    RABBITMQ_PID_FILE="$dir/beam.pid" \
    RABBITMQ_NODE_IP_ADDRESS=127.0.0.1 \
    RABBITMQ_NODE_PORT="$SWITCHYARD_RABBIT_PORT" \
    RABBITMQ_DIST_PORT="$((SWITCHYARD_RABBIT_PORT + 20000))" \
    RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS="-kernel inet_dist_use_interface {127,0,0,1} $RABBIT_ERL_SCHEDULER_ARGS" \
    "$RABBIT_LIB/rabbitmq-server" >/dev/null
  local pid
  pid="$(read_pid rabbitmq "$RABBIT_PATTERN")" || { tail -n 30 "$dir/log/console.log" >&2; return 1; }
  # the management API answers only once the broker has fully booted
  local deadline=$((SECONDS + ${SWITCHYARD_RABBIT_BOOT_TIMEOUT:-180})) code
  while :; do
    if ! pid_alive "$pid"; then
      warn "rabbitmq: broker exited during boot; last log lines:"; tail -n 30 "$dir/log/console.log" >&2; return 1
    fi
    code="$(curl -s -o /dev/null -w '%{http_code}' --max-time 5 -u "$RABBIT_USER:$RABBIT_PASS" \
      "http://127.0.0.1:$SWITCHYARD_RABBIT_MGMT_PORT/api/health/checks/virtual-hosts" || true)"
    [[ "$code" == 200 ]] && break
    if [[ "$code" == 401 ]]; then
      # data from before the default user was configured: create it
      log "rabbitmq: creating user $RABBIT_USER"
      rabbitctl add_user "$RABBIT_USER" "$RABBIT_PASS" >/dev/null 2>&1 || true
      rabbitctl set_user_tags "$RABBIT_USER" administrator >/dev/null
      rabbitctl set_permissions -p / "$RABBIT_USER" '.*' '.*' '.*' >/dev/null
      continue
    fi
    if ((SECONDS >= deadline)); then warn "rabbitmq: not ready after ${SWITCHYARD_RABBIT_BOOT_TIMEOUT:-180}s"; return 1; fi
    sleep 0.5
  done
  wait_for_port 127.0.0.1 "$SWITCHYARD_RABBIT_PORT" 30 "$pid"
}

rabbitmq_start() {
  load_settings rabbitmq
  save_settings rabbitmq SWITCHYARD_RABBIT_PORT SWITCHYARD_RABBIT_MGMT_PORT
  rabbit_stop_quiet   # leftovers (beam without wrapper, stale pidfiles)
  ensure_port_free rabbitmq "$SWITCHYARD_RABBIT_PORT"
  ensure_port_free rabbitmq "$SWITCHYARD_RABBIT_MGMT_PORT"
  rabbit_write_config
  if ! rabbit_launch; then
    warn "rabbitmq: could not start on existing data; WIPING $(rabbit_dir)/mnesia (test data is disposable)"
    rabbit_stop_quiet
    rm -rf "$(rabbit_dir)/mnesia"
    rabbit_write_config
    rabbit_launch || die "rabbitmq: failed to start (see $(rabbit_dir)/log/)"
  fi
  # the CLI path (cookie + epmd) the tests use must work too
  if ! env HOME="$(rabbit_home)" "$RABBIT_LIB/rabbitmq-diagnostics" -q -n "$RABBIT_NODE" check_running >/dev/null 2>&1; then
    warn "rabbitmq: broker is up but 'rabbitmq-diagnostics check_running' failed (cookie/epmd?)"
    return 1
  fi
  log "rabbitmq: up, amqp 127.0.0.1:$SWITCHYARD_RABBIT_PORT, management 127.0.0.1:$SWITCHYARD_RABBIT_MGMT_PORT (node $RABBIT_NODE, data $(rabbit_dir)/mnesia)"
}

# epmd is started by the first Erlang node and outlives it; stop it when no node is left.
epmd_cleanup() {
  local p names
  for p in $(ps -eo pid=,comm= | awk '$2 == "epmd" {print $1}'); do
    names="$(epmd -names 2>/dev/null | grep -c '^name ' || true)"
    if [[ "${names:-0}" == 0 ]]; then
      epmd -kill >/dev/null 2>&1 || true
      stop_pid "$p" 5 || true
    else
      log "rabbitmq: leaving epmd (pid $p) running: other Erlang nodes are registered"
    fi
  done
}

rabbit_stop_quiet() {
  local dir pid beam
  dir="$(rabbit_dir)"
  pid="$(read_pid rabbitmq "$RABBIT_PATTERN" 2>/dev/null || true)"
  beam="$(head -n1 "$dir/beam.pid" 2>/dev/null | tr -dc 0-9 || true)"
  pid_matches "$beam" "$BEAM_PATTERN.*$RABBIT_NODE" || beam=""
  local tree=""
  if [[ -n "$pid$beam" ]]; then
    if [[ -n "$pid" ]]; then tree+=" $(descendants "$pid" | tr '\n' ' ')"; fi
    if [[ -n "$beam" ]]; then tree+=" $beam $(descendants "$beam" | tr '\n' ' ')"; fi
    # graceful: lets quorum queues / mnesia shut down cleanly
    timeout 60 env HOME="$(rabbit_home)" "$RABBIT_LIB/rabbitmqctl" -q -n "$RABBIT_NODE" stop >/dev/null 2>&1 || true
  fi
  if [[ -n "$pid" ]]; then stop_pid "$pid" 30; fi
  if [[ -n "$beam" ]]; then stop_pid "$beam" 30; fi
  kill_pids "$tree" 10
  rm -f "$(pidfile_of rabbitmq)" "$dir/beam.pid"
  epmd_cleanup
}

rabbitmq_stop() {
  load_settings rabbitmq
  rabbit_stop_quiet
  local port p
  for port in "$SWITCHYARD_RABBIT_PORT" "$SWITCHYARD_RABBIT_MGMT_PORT"; do
    p="$(pid_on_port "$port")"
    if [[ -n "$p" ]] && pid_matches "$p" "$BEAM_PATTERN.*$RABBIT_NODE"; then stop_pid "$p" 10; fi
  done
}

rabbitmq_env() {
  load_settings rabbitmq
  cat <<EOF
export SWITCHYARD_TEST_AMQP_URL='amqp://$RABBIT_USER:$RABBIT_PASS@127.0.0.1:$SWITCHYARD_RABBIT_PORT'
export SWITCHYARD_TEST_RABBIT_MGMT_URL='http://$RABBIT_USER:$RABBIT_PASS@127.0.0.1:$SWITCHYARD_RABBIT_MGMT_PORT'
export SWITCHYARD_TEST_RABBIT_CTL='$(rabbit_cli rabbitmqctl)'
export SWITCHYARD_TEST_RABBIT_RESTART='$INFRA_DIR/restart rabbitmq'
EOF
}

# ======================================================================== minio

MINIO_PATTERN='minio server'
minio_dir() { comp_dir minio; }

minio_healthy() {
  load_settings minio
  read_pid minio "$MINIO_PATTERN" >/dev/null || return 1
  curl -fsS -o /dev/null --max-time 5 "http://127.0.0.1:$SWITCHYARD_MINIO_PORT/minio/health/ready"
}

minio_launch() {
  local dir pid
  dir="$(minio_dir)"
  mkdir -p "$dir/data" "$dir/certs"
  pid="$(start_daemon minio "$dir/minio.log" env \
    MINIO_ROOT_USER="$MINIO_ROOT_USER_VALUE" \
    MINIO_ROOT_PASSWORD="$MINIO_ROOT_PASSWORD_VALUE" \
    MINIO_SITE_REGION=us-east-1 \
    MINIO_UPDATE=off \
    MINIO_BROWSER=on \
    "$(minio_bin)" server --quiet --anonymous \
    --address "127.0.0.1:$SWITCHYARD_MINIO_PORT" \
    --console-address "127.0.0.1:$SWITCHYARD_MINIO_CONSOLE_PORT" \
    --certs-dir "$dir/certs" "$dir/data")"
  local deadline=$((SECONDS + 60))
  until curl -fsS -o /dev/null --max-time 2 "http://127.0.0.1:$SWITCHYARD_MINIO_PORT/minio/health/ready" 2>/dev/null; do
    if ! pid_alive "$pid"; then warn "minio: exited during start:"; tail -n 20 "$dir/minio.log" >&2; return 1; fi
    if ((SECONDS >= deadline)); then warn "minio: not ready after 60s"; return 1; fi
    sleep 0.2
  done
}

minio_start() {
  load_settings minio
  save_settings minio SWITCHYARD_MINIO_PORT SWITCHYARD_MINIO_CONSOLE_PORT
  minio_stop_quiet
  ensure_port_free minio "$SWITCHYARD_MINIO_PORT"
  ensure_port_free minio "$SWITCHYARD_MINIO_CONSOLE_PORT"
  if ! minio_launch; then
    warn "minio: could not start on existing data; WIPING $(minio_dir)/data (test data is disposable)"
    minio_stop_quiet
    rm -rf "$(minio_dir)/data"
    minio_launch || die "minio: failed to start (see $(minio_dir)/minio.log)"
  fi
  log "minio: up, s3 http://127.0.0.1:$SWITCHYARD_MINIO_PORT, console 127.0.0.1:$SWITCHYARD_MINIO_CONSOLE_PORT (data $(minio_dir)/data)"
}

minio_stop_quiet() {
  local pid
  pid="$(read_pid minio "$MINIO_PATTERN" 2>/dev/null || true)"
  if [[ -n "$pid" ]]; then stop_pid "$pid" 20; fi
  rm -f "$(pidfile_of minio)"
}

minio_stop() {
  load_settings minio
  minio_stop_quiet
  local p; p="$(pid_on_port "$SWITCHYARD_MINIO_PORT")"
  if [[ -n "$p" ]] && pid_matches "$p" "$MINIO_PATTERN.*$(minio_dir)"; then stop_pid "$p" 10; fi
}

minio_env() {
  load_settings minio
  cat <<EOF
export SWITCHYARD_TEST_S3_ENDPOINT='http://127.0.0.1:$SWITCHYARD_MINIO_PORT'
export SWITCHYARD_TEST_S3_ACCESS_KEY='$MINIO_ROOT_USER_VALUE'
export SWITCHYARD_TEST_S3_SECRET_KEY='$MINIO_ROOT_PASSWORD_VALUE'
export SWITCHYARD_TEST_S3_REGION='us-east-1'
export SWITCHYARD_TEST_MINIO_STOP='$INFRA_DIR/down --keep-env minio'
export SWITCHYARD_TEST_MINIO_START='$INFRA_DIR/up minio'
EOF
}

# ======================================================================== redis

REDIS_PATTERN='redis-server'
redis_dir() { comp_dir redis; }

redis_healthy() {
  load_settings redis
  read_pid redis "$REDIS_PATTERN" >/dev/null || return 1
  [[ "$(redis-cli -h 127.0.0.1 -p "$SWITCHYARD_REDIS_PORT" ping 2>/dev/null)" == PONG ]]
}

redis_start() {
  load_settings redis
  save_settings redis SWITCHYARD_REDIS_PORT
  redis_stop_quiet
  ensure_port_free redis "$SWITCHYARD_REDIS_PORT"
  local dir pid
  dir="$(redis_dir)"
  mkdir -p "$dir"
  pid="$(start_daemon redis "$dir/redis.log" redis-server \
    --bind 127.0.0.1 --port "$SWITCHYARD_REDIS_PORT" --dir "$dir" \
    --save '' --appendonly no --daemonize no --protected-mode yes)"
  local deadline=$((SECONDS + 30))
  until [[ "$(redis-cli -h 127.0.0.1 -p "$SWITCHYARD_REDIS_PORT" ping 2>/dev/null)" == PONG ]]; do
    if ! pid_alive "$pid"; then tail -n 20 "$dir/redis.log" >&2; die "redis: exited during start"; fi
    ((SECONDS >= deadline)) && die "redis: not ready after 30s"
    sleep 0.1
  done
  log "redis: up on 127.0.0.1:$SWITCHYARD_REDIS_PORT (no persistence)"
}

redis_stop_quiet() {
  local pid
  pid="$(read_pid redis "$REDIS_PATTERN" 2>/dev/null || true)"
  if [[ -n "$pid" ]]; then stop_pid "$pid" 10; fi
  rm -f "$(pidfile_of redis)"
}

redis_stop() {
  load_settings redis
  redis_stop_quiet
  local p; p="$(pid_on_port "$SWITCHYARD_REDIS_PORT")"
  if [[ -n "$p" ]] && pid_matches "$p" "$REDIS_PATTERN.*:$SWITCHYARD_REDIS_PORT"; then stop_pid "$p" 10; fi
}

redis_env() {
  load_settings redis
  echo "export SWITCHYARD_TEST_REDIS_URL='redis://127.0.0.1:$SWITCHYARD_REDIS_PORT'"
}

# ======================================================================== shared

bins_env() {
  local t v b
  for t in haproxy nginx wrk prometheus minio; do
    b="$(tool_bin "$t")"
    v="SWITCHYARD_${t^^}_BIN"
    [[ -n "$b" ]] && echo "export $v='$b'"
  done
  return 0
}

write_env_file() { # comp — from <comp>_env
  local f; f="$(envfile_of "$1")"
  mkdir -p "$SWITCHYARD_RUN"
  "$1_env" >"$f.tmp.$$"
  mv -f "$f.tmp.$$" "$f"
}

# infra.env = bins + every component env file present
write_infra_env() {
  local f="$SWITCHYARD_RUN/infra.env" c
  mkdir -p "$SWITCHYARD_RUN"
  {
    echo "# generated by test/infra/up — source it: . $f"
    bins_env
    for c in "${DAEMONS[@]}"; do
      [[ -f "$(envfile_of "$c")" ]] && cat "$(envfile_of "$c")"
    done
    true
  } >"$f.tmp.$$"
  mv -f "$f.tmp.$$" "$f"
}

# component_up COMP: fast no-op if healthy, else start it; (re)writes its env file.
component_up() {
  local c="$1"
  take_lock "$c"
  if [[ -z "$(tool_bin "$c")" ]]; then
    log "$c: not installed; running install $c"
    "$INFRA_DIR/install" "$c" >&2
  fi
  if "${c}_healthy"; then
    log "$c: already up"
  else
    "${c}_start"
  fi
  write_env_file "$c"
  mkdir -p "$(comp_dir "$c")"; touch "$(wanted_of "$c")"
  release_lock
}

# component_down COMP [keep_env=0]
component_down() {
  local c="$1" keep="${2:-0}"
  take_lock "$c"
  "${c}_stop"
  rm -f "$(wanted_of "$c")" "$(pidfile_of "$c")"
  # a full down forgets the ports too (next up uses the environment/defaults again)
  if [[ "$keep" != 1 ]]; then rm -f "$(envfile_of "$c")" "$(comp_dir "$c")/settings"; fi
  log "$c: down"
  release_lock
}
