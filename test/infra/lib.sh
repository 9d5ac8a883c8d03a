# shellcheck shell=bash disable=SC2034,SC2015,SC2016
# test/infra/lib.sh — shared helpers for the Switchyard test-infrastructure scripts.
#
# Usage (from another script in this folder):
#   source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
#
# Environment:
#   SWITCHYARD_CACHE  where installed artefacts are cached
#                     (default ${XDG_CACHE_HOME:-~/.cache}/switchyard)
#   SWITCHYARD_RUN    runtime state: data dirs, logs, pidfiles, *.env (default /tmp/switchyard);
#                     what apt and builds print goes to $SWITCHYARD_RUN/logs/, named on failure
#   SWITCHYARD_INFRA_QUIET=1  silence info logs (warnings/errors still go to stderr)
#
# Ports (each overridable; a started component remembers the ports it was started with
# in $SWITCHYARD_RUN/<component>/settings, so restart/status use the same ones):
#   SWITCHYARD_PG_PORT=55432  SWITCHYARD_RABBIT_PORT=5673  SWITCHYARD_RABBIT_MGMT_PORT=15673
#   SWITCHYARD_MINIO_PORT=9100  SWITCHYARD_MINIO_CONSOLE_PORT=9101  SWITCHYARD_REDIS_PORT=6390
#
# Everything logs to stderr, so stdout stays usable for values.

set -euo pipefail

INFRA_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
SWITCHYARD_CACHE="${SWITCHYARD_CACHE:-${XDG_CACHE_HOME:-${HOME:-$(getent passwd "$(id -u)" | cut -d: -f6)}/.cache}/switchyard}"
SWITCHYARD_RUN="${SWITCHYARD_RUN:-/tmp/switchyard}"
export SWITCHYARD_CACHE SWITCHYARD_RUN

# Pinned MinIO: the Go module proxy serves MinIO only as pseudo-versions (its RELEASE.* tags
# are not semver). This one is the proxy's "latest" as of 2026-02 and builds with Go 1.26.
SWITCHYARD_MINIO_VERSION="${SWITCHYARD_MINIO_VERSION:-v0.0.0-20260212201848-7aac2a2c5b7c}"

# Components that `up` can start, in start order (down uses the reverse).
DAEMONS=(postgres rabbitmq minio redis)
# Components that are only installed (never started by these scripts).
TOOLS=(haproxy nginx wrk prometheus alertmanager smtp git openssl curl zsh fish)

PG_BIN="${SWITCHYARD_PG_BIN:-/usr/lib/postgresql/15/bin}"
RABBIT_NODE="${SWITCHYARD_RABBIT_NODE:-switchyard@localhost}"
RABBIT_LIB="/usr/lib/rabbitmq/bin"   # the real scripts, not Debian's su-to-rabbitmq wrappers

# ---------------------------------------------------------------- logging

_ts() { date +%H:%M:%S; }
log() { [[ "${SWITCHYARD_INFRA_QUIET:-0}" == 1 ]] || printf '%s [infra] %s\n' "$(_ts)" "$*" >&2; }
warn() { printf '%s [infra] WARN: %s\n' "$(_ts)" "$*" >&2; }
die() { printf '%s [infra] ERROR: %s\n' "$(_ts)" "$*" >&2; exit 1; }

# quietly LOGFILE CMD...: runs CMD with its output appended to LOGFILE (under a line naming it),
# so package managers and builds print nothing here; on failure, shows the last lines and
# names the log.
quietly() {
  local logf="$1"; shift
  mkdir -p "$(dirname "$logf")"
  printf '\n== %s %s\n' "$(date '+%F %T')" "$*" >>"$logf"
  local from; from=$(wc -l <"$logf")
  "$@" >>"$logf" 2>&1 && return 0
  local rc=$? what="$1"
  [[ "$what" == sudo ]] && what="$2"
  tail -n "+$((from + 1))" "$logf" | tail -n 15 | sed 's/^/    /' >&2
  warn "$(basename "$what") failed (exit $rc); its whole output is in $logf"
  return "$rc"
}

# ---------------------------------------------------------------- components

canonical_component() {
  case "$1" in
    postgres|postgresql|pg) echo postgres ;;
    rabbitmq|rabbit|rabbitmq-server) echo rabbitmq ;;
    minio|s3) echo minio ;;
    redis|redis-server) echo redis ;;
    haproxy|nginx|wrk|prometheus|git|openssl|curl|zsh|fish) echo "$1" ;;
    alertmanager|prometheus-alertmanager) echo alertmanager ;;
    smtp|aiosmtpd) echo smtp ;;
    *) return 1 ;;
  esac
}

is_daemon() { local d; for d in "${DAEMONS[@]}"; do [[ "$d" == "$1" ]] && return 0; done; return 1; }

# parse_components ARG...: sets the array COMPS to the canonical names; dies on unknown ones.
parse_components() {
  local c canon
  COMPS=()
  for c in "$@"; do
    canon="$(canonical_component "$c")" || die "unknown component '$c' (known: ${DAEMONS[*]} ${TOOLS[*]})"
    COMPS+=("$canon")
  done
}

comp_dir() { echo "$SWITCHYARD_RUN/$1"; }
pidfile_of() { echo "$SWITCHYARD_RUN/$1.pid"; }
envfile_of() { echo "$SWITCHYARD_RUN/$1.env"; }
# Marker: the component was started by `up` and not yet stopped by `down`.
wanted_of() { echo "$SWITCHYARD_RUN/$1/.wanted"; }

# Loads the ports a component was started with (unless overridden in the environment),
# then applies defaults.
load_settings() {
  local comp="$1" f
  f="$(comp_dir "$comp")/settings"
  # shellcheck disable=SC1090
  if [[ -f "$f" ]]; then source "$f"; fi
  case "$comp" in
    postgres) : "${SWITCHYARD_PG_PORT:=55432}" ;;
    rabbitmq) : "${SWITCHYARD_RABBIT_PORT:=5673}" "${SWITCHYARD_RABBIT_MGMT_PORT:=15673}" ;;
    minio) : "${SWITCHYARD_MINIO_PORT:=9100}" "${SWITCHYARD_MINIO_CONSOLE_PORT:=9101}" ;;
    redis) : "${SWITCHYARD_REDIS_PORT:=6390}" ;;
  esac
}

save_settings() {
  local comp="$1"; shift
  local f v
  f="$(comp_dir "$comp")/settings"
  mkdir -p "$(dirname "$f")"
  : >"$f.tmp"
  for v in "$@"; do printf ': "${%s:=%s}"\n' "$v" "${!v}" >>"$f.tmp"; done
  mv -f "$f.tmp" "$f"
}

# ---------------------------------------------------------------- locking

# take_lock NAME: serialises up/down/restart of one component across processes. Uses fd 9;
# every daemon launch must close it (9>&-) so the daemon does not inherit the lock.
take_lock() {
  mkdir -p "$SWITCHYARD_RUN"
  exec 9>"$SWITCHYARD_RUN/.$1.lock"
  flock -w "${SWITCHYARD_LOCK_TIMEOUT:-600}" 9 || die "timed out waiting for lock $1"
}
release_lock() { exec 9>&-; }

# ---------------------------------------------------------------- ports

port_open() { # host port
  (exec 3<>"/dev/tcp/$1/$2") 2>/dev/null
}

# wait_for_port HOST PORT [TIMEOUT_SECONDS=60] [PID]: waits until a TCP connect succeeds.
# If PID is given and that process dies meanwhile, fails at once.
wait_for_port() {
  local host="$1" port="$2" timeout="${3:-60}" pid="${4:-}"
  local deadline=$((SECONDS + timeout))
  while ! port_open "$host" "$port"; do
    if [[ -n "$pid" ]] && ! pid_alive "$pid"; then
      warn "process $pid died while waiting for $host:$port"; return 1
    fi
    if ((SECONDS >= deadline)); then warn "timed out after ${timeout}s waiting for $host:$port"; return 1; fi
    sleep 0.2
  done
}

wait_port_closed() { # host port [timeout]
  local deadline=$((SECONDS + ${3:-30}))
  while port_open "$1" "$2"; do
    ((SECONDS >= deadline)) && return 1
    sleep 0.2
  done
}

# ---------------------------------------------------------------- processes & pidfiles

pid_alive() { # pid — alive and not a zombie
  local pid="$1" state
  [[ "$pid" =~ ^[0-9]+$ ]] || return 1
  kill -0 "$pid" 2>/dev/null || return 1
  state="$(awk '{print $3}' "/proc/$pid/stat" 2>/dev/null || true)"
  [[ -n "$state" && "$state" != Z ]]
}

# pid_matches PID PATTERN: the process is alive and its command line matches the (ERE) pattern
# (guards against PID reuse after a machine restart: pidfiles persist, processes don't).
pid_matches() {
  local pid="$1" pattern="$2" cmd
  pid_alive "$pid" || return 1
  cmd="$(tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null || true)"
  [[ "$cmd" =~ $pattern ]]
}

# read_pid COMPONENT PATTERN: prints the pid from the component's pidfile if that process is
# alive and matches PATTERN; otherwise removes the stale pidfile and returns 1.
read_pid() {
  local comp="$1" pattern="$2" f pid
  f="$(pidfile_of "$comp")"
  [[ -f "$f" ]] || return 1
  pid="$(head -n1 "$f" 2>/dev/null | tr -dc 0-9)"
  if [[ -n "$pid" ]] && pid_matches "$pid" "$pattern"; then
    echo "$pid"; return 0
  fi
  log "$comp: removing stale pidfile $f (pid '${pid}' is gone)"
  rm -f "$f"
  return 1
}

write_pid() { echo "$2" >"$(pidfile_of "$1")"; }

# descendants PID: all descendant pids (children first level first), one per line
descendants() {
  ps -eo pid=,ppid= | awk -v root="$1" '
    { parent[$1] = $2; pids[NR] = $1 }
    END {
      want[root] = 1; changed = 1
      while (changed) { changed = 0
        for (i in pids) { p = pids[i]; if (!(p in want) && (parent[p] in want)) { want[p] = 1; changed = 1 } } }
      for (p in want) if (p != root) print p
    }'
}

# stop_pid PID [GRACE_SECONDS=20]: SIGTERM, wait, then SIGKILL; afterwards every process that
# descended from PID (Erlang's erl_child_setup/inet_gethost, postgres backends, ...) is also
# given a few seconds to exit and then killed. Returns non-zero if something survived.
stop_pid() {
  local pid="$1" grace="${2:-20}" tree p
  pid_alive "$pid" || return 0
  tree="$(descendants "$pid" || true)"
  kill -TERM "$pid" 2>/dev/null || true
  local deadline=$((SECONDS + grace))
  while pid_alive "$pid" && ((SECONDS < deadline)); do sleep 0.2; done
  if pid_alive "$pid"; then
    warn "pid $pid did not exit within ${grace}s of SIGTERM; sending SIGKILL"
    kill -KILL "$pid" 2>/dev/null || true
  fi
  deadline=$((SECONDS + 10))
  while pid_alive "$pid" && ((SECONDS < deadline)); do sleep 0.1; done
  kill_pids "$tree" 5
  ! pid_alive "$pid"
}

# kill_pids "PID..." [GRACE]: waits up to GRACE seconds for the pids to exit, then TERM, then KILL.
kill_pids() {
  local pids="$1" grace="${2:-5}" p alive
  [[ -n "${pids//[[:space:]]/}" ]] || return 0
  local deadline=$((SECONDS + grace))
  while :; do
    alive=""
    for p in $pids; do pid_alive "$p" && alive+=" $p"; done
    [[ -z "$alive" ]] && return 0
    ((SECONDS >= deadline)) && break
    sleep 0.2
  done
  for p in $alive; do kill -TERM "$p" 2>/dev/null || true; done
  sleep 1
  for p in $alive; do
    if pid_alive "$p"; then warn "killing leftover pid $p ($(cat "/proc/$p/comm" 2>/dev/null))"; kill -KILL "$p" 2>/dev/null || true; fi
  done
}

# start_daemon COMPONENT LOGFILE CMD...: starts CMD in a new session, detached, stdout/stderr
# to LOGFILE, and writes its pid to the component's pidfile. Prints the pid.
start_daemon() {
  local comp="$1" logf="$2"; shift 2
  mkdir -p "$(dirname "$logf")"
  # Without job control the background child is not a process-group leader, so setsid does
  # not fork, and the subshell execs it: $! is the daemon itself.
  # cwd = the component's run dir: Erlang/Mnesia write crash dumps (MnesiaCore.*) to the cwd
  local cwd; cwd="$(comp_dir "$comp")"; mkdir -p "$cwd"
  (cd "$cwd" && exec setsid "$@" </dev/null >>"$logf" 2>&1 9>&-) &
  local pid=$!
  write_pid "$comp" "$pid"
  echo "$pid"
}

# ---------------------------------------------------------------- apt

pkg_installed() {
  [[ "$(dpkg-query -W -f='${db:Status-Status}' "$1" 2>/dev/null || true)" == installed ]]
}

# apt_install PKG...: installs the packages that are missing (no recommends), without letting
# their maintainer scripts start system services.
apt_install() {
  local missing=() p
  for p in "$@"; do pkg_installed "$p" || missing+=("$p"); done
  ((${#missing[@]})) || return 0
  local sudo=()
  [[ "$(id -u)" == 0 ]] || sudo=(sudo)
  mkdir -p "$SWITCHYARD_CACHE"
  (
    # one apt run at a time from these scripts (apt's own lock is waited for too)
    exec 8>"$SWITCHYARD_CACHE/.apt.lock"
    flock -w 900 8 || die "timed out waiting for $SWITCHYARD_CACHE/.apt.lock"
    local our_policy=0
    if [[ ! -e /usr/sbin/policy-rc.d ]]; then
      printf '#!/bin/sh\n# installed temporarily by switchyard test/infra\nexit 101\n' |
        "${sudo[@]}" tee /usr/sbin/policy-rc.d >/dev/null
      "${sudo[@]}" chmod 755 /usr/sbin/policy-rc.d
      our_policy=1
    fi
    if ((our_policy)); then
      # shellcheck disable=SC2064
      trap "${sudo[*]} rm -f /usr/sbin/policy-rc.d" EXIT
    fi
    export DEBIAN_FRONTEND=noninteractive
    local aptopts=(-q -o DPkg::Lock::Timeout=600 -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold)
    local logf="$SWITCHYARD_RUN/logs/apt.log"
    log "apt: installing ${missing[*]} (log: $logf)"
    quietly "$logf" "${sudo[@]}" apt-get "${aptopts[@]}" update &&
      quietly "$logf" "${sudo[@]}" apt-get "${aptopts[@]}" install -y --no-install-recommends "${missing[@]}"
  )
}

# ---------------------------------------------------------------- misc

# run_as_postgres CMD...: PostgreSQL refuses to run as root; run as the 'postgres' user then.
run_as_postgres() {
  if [[ "$(id -u)" == 0 ]]; then
    runuser -u postgres -- "$@"
  else
    "$@"
  fi
}

# version_ge A B: A >= B for dotted versions
version_ge() { [[ "$(printf '%s\n%s\n' "$1" "$2" | sort -V | awk 'NR==1')" == "$2" ]]; }

minio_bin() { echo "$SWITCHYARD_CACHE/minio/$SWITCHYARD_MINIO_VERSION/minio"; }

# Absolute path of an installed tool binary, empty if missing.
first_executable() { local f; for f in "$@"; do if [[ -n "$f" && -x "$f" ]]; then echo "$f"; return 0; fi; done; return 0; }
tool_bin() {
  case "$1" in
    haproxy|nginx) first_executable "$(command -v "$1" || true)" "/usr/sbin/$1" ;;
    wrk|prometheus|git|openssl|curl|zsh|fish) first_executable "$(command -v "$1" || true)" "/usr/bin/$1" ;;
    alertmanager) first_executable "$(command -v prometheus-alertmanager || true)" /usr/bin/prometheus-alertmanager ;;
    # Debian's python3 (not another one first on PATH) is the one with aiosmtpd.
    smtp) if /usr/bin/python3 -c 'import aiosmtpd' 2>/dev/null; then echo /usr/bin/python3; fi ;;
    minio) first_executable "$(minio_bin)" ;;
    redis) first_executable "$(command -v redis-server || true)" /usr/bin/redis-server ;;
    postgres) first_executable "$PG_BIN/postgres" ;;
    rabbitmq) first_executable "$RABBIT_LIB/rabbitmq-server" ;;
  esac
}

