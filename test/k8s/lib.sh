# shellcheck shell=bash disable=SC2034
# Shared helpers for the Switchyard Kubernetes test bed (test/k8s/*).
# Sourced by build, up, down, status and smoke; not meant to be run directly.
#
# Pinned versions: change them here (and in gomod/go.mod for Kubernetes and
# etcd); the cache stamp covers both, so a change triggers a rebuild.

K8S_VERSION="v1.34.4"     # k8s.io/kubernetes (staging modules at v0.34.4)
ETCD_VERSION="v3.6.4"     # go.etcd.io/etcd/server/v3 (what k8s v1.34.4 pins)
KWOK_VERSION="v0.7.0"     # sigs.k8s.io/kwok

# Link flags: strip symbols; stamp the version into component-base (what the
# binaries report) and client-go (user agents), as the upstream build does.
K8S_LDFLAGS="-s -w"
for _pkg in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
  _minor=${K8S_VERSION#v1.}; _minor=${_minor%%.*}
  K8S_LDFLAGS+=" -X $_pkg.gitVersion=$K8S_VERSION -X $_pkg.gitMajor=1 -X $_pkg.gitMinor=$_minor -X $_pkg.gitTreeState=clean"
done
unset _pkg _minor
KWOK_LDFLAGS="-s -w"

K8S_TESTBED_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
K8S_GOMOD_DIR="$K8S_TESTBED_DIR/gomod"
K8S_CACHE_ROOT="${SWITCHYARD_CACHE:-${XDG_CACHE_HOME:-${HOME:-/tmp}/.cache}/switchyard}/k8s"
K8S_BIN_DIR="$K8S_CACHE_ROOT/$K8S_VERSION/bin"
K8S_STAMP_FILE="$K8S_BIN_DIR/.stamp"
K8S_BINARIES=(etcd kube-apiserver kube-controller-manager kube-scheduler kubectl kwok)
K8S_RUN_ROOT="${SWITCHYARD_RUN:-/tmp/switchyard}"

# Daemons in start order (down stops them in reverse).
K8S_DAEMONS=(etcd kube-apiserver kube-controller-manager kube-scheduler kwok)

log() { printf '[k8s %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
die() { printf '[k8s %s] ERROR: %s\n' "$(date +%H:%M:%S)" "$*" >&2; exit 1; }

# --- build cache -----------------------------------------------------------

# The stamp names every pinned version plus a hash of the Go module sources
# and the link flags, so editing a wrapper, go.mod/go.sum or the flags also
# invalidates the cache.
k8s_expected_stamp() {
  local src
  src=$( (cd "$K8S_GOMOD_DIR" && cat go.mod go.sum cmd/*/main.go; echo "$K8S_LDFLAGS $KWOK_LDFLAGS") | sha256sum | cut -c1-16)
  printf 'k8s=%s etcd=%s kwok=%s src=%s\n' "$K8S_VERSION" "$ETCD_VERSION" "$KWOK_VERSION" "$src"
}

k8s_cache_ok() {
  [[ -f "$K8S_STAMP_FILE" ]] || return 1
  [[ "$(cat "$K8S_STAMP_FILE")" == "$(k8s_expected_stamp)" ]] || return 1
  local b
  for b in "${K8S_BINARIES[@]}"; do [[ -x "$K8S_BIN_DIR/$b" ]] || return 1; done
}

# --- cluster naming / ports ------------------------------------------------

# k8s_cluster_vars NAME OFFSET: sets the per-cluster globals.
k8s_cluster_vars() {
  CLUSTER_NAME="$1"
  PORT_OFFSET="$2"
  [[ "$CLUSTER_NAME" =~ ^[a-z0-9]([a-z0-9-]{0,30}[a-z0-9])?$ ]] ||
    die "invalid --name '$CLUSTER_NAME' (lowercase letters, digits, '-')"
  if ! [[ "$PORT_OFFSET" =~ ^[0-9]+$ ]] || (( 10#$PORT_OFFSET >= 1000 )); then
    die "invalid --port-offset '$PORT_OFFSET' (0..999)"
  fi
  PORT_OFFSET=$((10#$PORT_OFFSET))
  if [[ "$CLUSTER_NAME" == sandbox ]]; then
    RUN_DIR="$K8S_RUN_ROOT/k8s"
  else
    RUN_DIR="$K8S_RUN_ROOT/k8s-$CLUSTER_NAME"
  fi
  LOCK_FILE="$K8S_RUN_ROOT/.k8s-$CLUSTER_NAME.lock"
  # Each component gets its own 1000-port block, so any two offsets < 1000
  # never collide across components or clusters.
  ETCD_PORT=$((12379 + PORT_OFFSET))
  ETCD_PEER_PORT=$((13379 + PORT_OFFSET))
  APISERVER_PORT=$((16443 + PORT_OFFSET))
  KCM_PORT=$((14257 + PORT_OFFSET))
  SCHED_PORT=$((15259 + PORT_OFFSET))
  KWOK_PORT=$((17247 + PORT_OFFSET))
  KUBECONFIG_PATH="$RUN_DIR/kubeconfig"
  CONTEXT_NAME="switchyard-$CLUSTER_NAME"
  PKI="$RUN_DIR/pki"
}

# Parse --name N / --port-offset N (and --name=N forms). Leftover args are
# put in REST_ARGS. If --port-offset is not given for a non-default name, the
# offset recorded by `up` in the run dir is used (so `down --name staging`
# needs no offset).
k8s_parse_args() {
  local name="sandbox" offset="" allow_offset="$1"; shift
  REST_ARGS=()
  while (( $# )); do
    case "$1" in
      --name) [[ $# -ge 2 ]] || die "--name needs a value"; name="$2"; shift 2 ;;
      --name=*) name="${1#*=}"; shift ;;
      --port-offset) [[ $# -ge 2 ]] || die "--port-offset needs a value"; offset="$2"; shift 2 ;;
      --port-offset=*) offset="${1#*=}"; shift ;;
      -h|--help) sed -n '2,/^[^#]/p' "$0" | grep '^#' | sed 's/^# \{0,1\}//' >&2; exit 0 ;;
      *) REST_ARGS+=("$1"); shift ;;
    esac
  done
  if [[ -n "$offset" && "$allow_offset" != yes ]]; then
    die "--port-offset is only accepted by up (down/status read it from the run dir)"
  fi
  if [[ -z "$offset" ]]; then
    local rd
    if [[ "$name" == sandbox ]]; then rd="$K8S_RUN_ROOT/k8s"; else rd="$K8S_RUN_ROOT/k8s-$name"; fi
    if [[ -f "$rd/port-offset" ]]; then offset=$(cat "$rd/port-offset"); else offset=0; fi
  fi
  k8s_cluster_vars "$name" "$offset"
}

# --- processes -------------------------------------------------------------

# pid of a daemon if its pidfile names a live process that is really ours
# (its command line mentions our run dir, which guards against pid reuse).
k8s_daemon_pid() {
  local f="$RUN_DIR/$1.pid" pid
  [[ -f "$f" ]] || return 1
  pid=$(cat "$f" 2>/dev/null) || return 1
  [[ "$pid" =~ ^[0-9]+$ ]] || return 1
  [[ -r "/proc/$pid/cmdline" ]] || return 1
  local cmd
  cmd=$( { tr '\0' ' ' <"/proc/$pid/cmdline"; } 2>/dev/null ) || return 1
  [[ "$cmd" == *"$RUN_DIR/"* ]] || return 1
  # A zombie is not running.
  [[ "$(awk '{print $3}' "/proc/$pid/stat" 2>/dev/null)" != Z ]] || return 1
  echo "$pid"
}

# Stop all daemons of the current cluster in three waves (kwok, scheduler and
# controller-manager together; then the apiserver; then etcd): SIGTERM, then
# SIGKILL whatever survives the grace period (seconds, default 15).
k8s_stop_all() {
  local grace="${1:-15}" wave d pid
  for wave in "kwok kube-scheduler kube-controller-manager" "kube-apiserver" "etcd"; do
    local pids=() names=()
    for d in $wave; do
      if pid=$(k8s_daemon_pid "$d"); then
        log "stopping $d (pid $pid)"
        kill -TERM "$pid" 2>/dev/null || true
        pids+=("$pid"); names+=("$d")
      fi
    done
    local deadline=$((SECONDS + grace)) i
    for i in "${!pids[@]}"; do
      pid="${pids[$i]}"
      while k8s_pid_running "$pid"; do
        if (( SECONDS >= deadline )); then
          log "${names[$i]} (pid $pid) ignored SIGTERM for ${grace}s: SIGKILL"
          kill -KILL "$pid" 2>/dev/null || true
          sleep 0.2
          break
        fi
        sleep 0.1
      done
    done
  done
  for d in "${K8S_DAEMONS[@]}"; do rm -f "$RUN_DIR/$d.pid"; done
  # Safety net for lost pidfiles: any process started from our cache with an
  # argument inside this run dir belongs to this cluster.
  local p cmd orphans
  orphans=$(k8s_orphan_pids)
  [[ -n "$orphans" ]] || return 0
  for p in $orphans; do
    cmd=$( { tr '\0' ' ' <"/proc/$p/cmdline"; } 2>/dev/null ) || continue
    log "killing leftover process $p: ${cmd:0:100}"
    kill -TERM "$p" 2>/dev/null || true
  done
  sleep 2
  for p in $(k8s_orphan_pids); do kill -KILL "$p" 2>/dev/null || true; done
}

# pids of processes whose argv[0] is under the binary cache and whose
# arguments mention this cluster's run dir.
k8s_orphan_pids() {
  local f p argv0 cmd
  for f in /proc/[0-9]*/cmdline; do
    p=${f#/proc/}; p=${p%/cmdline}
    [[ "$p" != "$$" ]] || continue
    cmd=$( { tr '\0' ' ' <"$f"; } 2>/dev/null ) || continue
    argv0=${cmd%% *}
    [[ "$argv0" == "$K8S_CACHE_ROOT/"* && "$cmd" == *"$RUN_DIR/"* ]] || continue
    [[ "$(awk '{print $3}' "/proc/$p/stat" 2>/dev/null)" != Z ]] || continue
    echo "$p"
  done
}

k8s_pid_running() {
  kill -0 "$1" 2>/dev/null && [[ "$(awk '{print $3}' "/proc/$1/stat" 2>/dev/null)" != Z ]]
}

k8s_port_in_use() {
  # ss ships with iproute2; fall back to bash's /dev/tcp.
  if command -v ss >/dev/null 2>&1; then
    ss -Hltn "sport = :$1" 2>/dev/null | grep -q .
  else
    (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
  fi
}

# start_daemon NAME CMD...: runs CMD in its own session, pid in
# $RUN_DIR/NAME.pid, output in $RUN_DIR/NAME.log (NAME may name a subdirectory,
# e.g. node/kubelet). The daemon holds none of the scripts' lock files.
start_daemon() {
  local name=$1; shift
  log "starting ${name##*/}"
  # shellcheck disable=SC2016 # expanded by the inner bash
  setsid bash -c 'echo $$ >"$0"; exec "$@"' "$RUN_DIR/$name.pid" "$@" \
    >"$RUN_DIR/$name.log" 2>&1 </dev/null 7>&- 8>&- 9>&- &
  local t=0
  until [[ -s "$RUN_DIR/$name.pid" ]]; do
    sleep 0.05; t=$((t+1)); (( t < 100 )) || die "${name##*/} did not start"
  done
}

# await NAME TIMEOUT CHECK...: wait for CHECK while daemon NAME stays alive.
await() {
  local name=$1 timeout=$2; shift 2
  local deadline=$((SECONDS + timeout))
  until "$@" >/dev/null 2>&1; do
    if ! k8s_daemon_pid "$name" >/dev/null; then
      tail -n 30 "$RUN_DIR/$name.log" >&2 || true
      die "${name##*/} exited during startup (log: $RUN_DIR/$name.log)"
    fi
    if (( SECONDS >= deadline )); then
      tail -n 30 "$RUN_DIR/$name.log" >&2 || true
      die "${name##*/} not healthy after ${timeout}s (log: $RUN_DIR/$name.log)"
    fi
    sleep 0.3
  done
}

# --- certificates and kubeconfigs -------------------------------------------

# k8s_issue_cert DIR NAME CN O EXTENDED_KEY_USAGE [SUBJECT_ALT_NAME]: an EC key
# and a ten-year certificate from the cluster CA ($PKI/ca.*) in DIR/NAME.*.
k8s_issue_cert() (
  local dir=$1 name=$2 cn=$3 o=$4 eku=$5 san=${6:-}
  cd "$dir" || exit 1
  umask 077
  ossl() { openssl "$@" 2>/dev/null || { openssl "$@"; exit 1; }; }
  ossl ecparam -name prime256v1 -genkey -noout -out "$name.key"
  local subj="/CN=$cn"
  if [[ -n "$o" ]]; then subj="/O=$o/CN=$cn"; fi
  ossl req -new -key "$name.key" -subj "$subj" -out "$name.csr"
  {
    echo "basicConstraints=critical,CA:FALSE"
    echo "keyUsage=critical,digitalSignature,keyEncipherment"
    echo "extendedKeyUsage=$eku"
    if [[ -n "$san" ]]; then echo "subjectAltName=$san"; fi
  } >"$name.ext"
  ossl x509 -req -in "$name.csr" -CA "$PKI/ca.crt" -CAkey "$PKI/ca.key" -set_serial "0x$(openssl rand -hex 16)" \
    -days 3650 -sha256 -extfile "$name.ext" -out "$name.crt"
  rm -f "$name.csr" "$name.ext"
)

# write_kubeconfig FILE USER CERT [embed]: a kubeconfig for the cluster's
# apiserver with the client certificate CERT.{crt,key} (a path, or a name in
# $PKI), the files referenced or, with embed, inlined.
write_kubeconfig() {
  local file=$1 user=$2 cert=$3 embed=${4:-no}
  [[ "$cert" == */* ]] || cert="$PKI/$cert"
  local ca="certificate-authority: $PKI/ca.crt"
  local crt="client-certificate: $cert.crt" key="client-key: $cert.key"
  if [[ $embed == yes ]]; then
    ca="certificate-authority-data: $(base64 -w0 <"$PKI/ca.crt")"
    crt="client-certificate-data: $(base64 -w0 <"$cert.crt")"
    key="client-key-data: $(base64 -w0 <"$cert.key")"
  fi
  cat >"$file" <<EOF
apiVersion: v1
kind: Config
clusters:
- name: $CONTEXT_NAME
  cluster:
    server: https://127.0.0.1:$APISERVER_PORT
    $ca
users:
- name: $user
  user:
    $crt
    $key
contexts:
- name: $CONTEXT_NAME
  context:
    cluster: $CONTEXT_NAME
    user: $user
    namespace: default
current-context: $CONTEXT_NAME
EOF
  chmod 600 "$file"
}

# --- API access ------------------------------------------------------------

k8s_curl() { # path -> body; uses the admin client cert
  curl -sS --max-time 5 --cacert "$PKI/ca.crt" --cert "$PKI/admin.crt" --key "$PKI/admin.key" \
    "https://127.0.0.1:$APISERVER_PORT$1"
}

k8s_apiserver_ready() {
  [[ -f "$PKI/admin.crt" ]] || return 1
  [[ "$(k8s_curl /readyz 2>/dev/null)" == ok ]]
}

kc() { "$K8S_BIN_DIR/kubectl" --kubeconfig "$KUBECONFIG_PATH" "$@"; }

# wait_for DESCRIPTION TIMEOUT_SECONDS COMMAND...: polls every 0.5s.
wait_for() {
  local what="$1" timeout="$2"; shift 2
  local deadline=$((SECONDS + timeout))
  until "$@" >/dev/null 2>&1; do
    if (( SECONDS >= deadline )); then
      log "timed out after ${timeout}s waiting for $what"
      return 1
    fi
    sleep 0.5
  done
}
