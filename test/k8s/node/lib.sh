# shellcheck shell=bash disable=SC2034
# Shared helpers for the test bed's real node (test/k8s/node/*): a kubelet and
# kube-proxy on containerd + runc, CNI bridge networking and CoreDNS, joining
# a test-bed cluster next to its kwok nodes. Sourced by build, up, down and
# smoke; not meant to be run directly. Builds on ../lib.sh (versions, cluster
# naming, daemons).
#
# Pinned: the kubelet and kube-proxy come from the same Kubernetes as the
# control plane (K8S_VERSION in ../lib.sh; node/gomod carries the same pins
# and replace directives as ../gomod); CoreDNS from its own module.

# shellcheck source=../lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"

COREDNS_VERSION="v1.14.7" # github.com/coredns/coredns

# The daemons find runc, the CNI plugins' helpers, nft and iptables here.
case ":$PATH:" in *:/usr/sbin:*) ;; *) PATH="$PATH:/usr/sbin:/sbin" ;; esac

NODE_TESTBED_DIR="$K8S_TESTBED_DIR/node"
NODE_GOMOD_DIR="$NODE_TESTBED_DIR/gomod"
NODE_BIN_DIR="$K8S_CACHE_ROOT/$K8S_VERSION/node-bin"
NODE_STAMP_FILE="$NODE_BIN_DIR/.stamp"
NODE_BINARIES=(kubelet kube-proxy coredns)
NODE_IMAGE_DIR="$K8S_CACHE_ROOT/node-images"

# Debian packages the node runs on.
NODE_PACKAGES=(containerd runc containernetworking-plugins nftables iptables conntrack iproute2 util-linux
  busybox-static gcc libc6-dev jq)
CNI_BIN_DIR=/usr/lib/cni

# Only one real node fits on a machine: the kubelet's port, the cni0 bridge
# and kube-proxy's nftables table are global. The owner file names the run
# dir of the cluster that has it.
NODE_OWNER_FILE="$K8S_RUN_ROOT/real-node.owner"
NODE_GLOBAL_LOCK="$K8S_RUN_ROOT/.real-node.lock"

# Fixed, machine-wide ports (there is one node at most).
KUBELET_PORT=10250
KUBELET_HEALTHZ_PORT=10248
PROXY_HEALTHZ_PORT=10256
PROXY_METRICS_PORT=10249
COREDNS_PORT=10053
COREDNS_READY_PORT=10054

CLUSTER_CIDR=10.244.0.0/16
SERVICE_CIDR=10.96.0.0/16
CLUSTER_DNS_IP=10.96.0.10
CNI_BRIDGE=cni0
NODE_TAINT_KEY=switchyard.dev/node-pool
NODE_POOL=real

# Node daemons in start order (down stops them in reverse); containerd first.
NODE_DAEMONS=(containerd kubelet coredns kube-proxy)

# node_vars NODE_NAME: per-node paths, after k8s_parse_args set the cluster.
node_vars() {
  NODE_NAME="$1"
  [[ "$NODE_NAME" =~ ^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$ ]] || die "invalid node name '$NODE_NAME'"
  NODE_DIR="$RUN_DIR/node"
  NODE_PKI="$NODE_DIR/pki"
  CTRD_DIR="$NODE_DIR/containerd"
  CTRD_SOCK="$CTRD_DIR/containerd.sock"
  CTRD_STATE="$CTRD_DIR/state"
  KUBELET_DIR="$NODE_DIR/kubelet"
  POD_LOGS_DIR="$NODE_DIR/pod-logs"
  CNI_CONF_DIR="$NODE_DIR/cni/net.d"
  CNI_IPAM_DIR="$NODE_DIR/cni/ipam"
  NODE_LOG="$NODE_DIR/node.log"
}

# quietly CMD...: CMD's output goes to the node log; on failure, says where.
quietly() {
  mkdir -p "$(dirname "$NODE_LOG")"
  printf '\n== %s %s\n' "$(date +%H:%M:%S)" "$*" >>"$NODE_LOG"
  "$@" >>"$NODE_LOG" 2>&1 || die "$1 failed; see $NODE_LOG"
}

ctr_k8s() { ctr --address "$CTRD_SOCK" --namespace k8s.io "$@"; }

# The node's address: the source address of the default route, which the
# apiserver uses to reach the kubelet and pods use to reach CoreDNS.
node_default_ip() {
  ip -4 -o route get 1.1.1.1 2>/dev/null | sed -n 's/.* src \([0-9.]*\).*/\1/p'
}

# pid of a node daemon (pidfile in the node dir, command line in the run dir).
node_daemon_pid() { k8s_daemon_pid "node/$1"; }

node_any_daemon_alive() {
  local d
  for d in "${NODE_DAEMONS[@]}"; do node_daemon_pid "$d" >/dev/null && return 0; done
  return 1
}

# --- build cache -----------------------------------------------------------

node_expected_stamp() {
  local src
  src=$( (cd "$NODE_GOMOD_DIR" && cat go.mod go.sum cmd/*/main.go; echo "$K8S_LDFLAGS") | sha256sum | cut -c1-16)
  printf 'k8s=%s coredns=%s src=%s\n' "$K8S_VERSION" "$COREDNS_VERSION" "$src"
}

node_cache_ok() {
  [[ "$(cat "$NODE_STAMP_FILE" 2>/dev/null)" == "$(node_expected_stamp)" ]] || return 1
  local b
  for b in "${NODE_BINARIES[@]}"; do [[ -x "$NODE_BIN_DIR/$b" ]] || return 1; done
}

# --- images ----------------------------------------------------------------

# The two images the node needs and no registry serves: the pod sandbox
# ("pause", built from pause.c) and a busybox test image (Debian's
# busybox-static). Their tags hash what goes into them (and the build script
# that assembles them), so a change makes a new tag and the node imports it.
node_image_key() {
  case "$1" in
    pause) { cat "$NODE_TESTBED_DIR/pause.c" "$NODE_TESTBED_DIR/build"; gcc --version | head -n1; } | sha256sum | cut -c1-12 ;;
    busybox) { cat "$NODE_TESTBED_DIR/build"; dpkg-query -W -f='${Version}' busybox-static; } | sha256sum | cut -c1-12 ;;
    *) die "unknown node image $1" ;;
  esac
}

# node_image_ref pause|busybox: the image's reference as pods name it.
node_image_ref() {
  case "$1" in
    pause) echo "localhost/switchyard/pause:$(node_image_key pause)" ;;
    busybox)
      local v
      v=$(dpkg-query -W -f='${Version}' busybox-static); v=${v#*:}; v=${v%%-*}
      echo "localhost/switchyard/busybox:$v-$(node_image_key busybox)"
      ;;
  esac
}

node_image_tarball() { echo "$NODE_IMAGE_DIR/$1-$(node_image_key "$1").oci.tar"; }

# normalize_ref REF: the name the container runtime gives REF (Docker's rules:
# no registry means docker.io, no repository path there means library/).
normalize_ref() {
  local ref="$1" first="${1%%/*}"
  if [[ "$ref" != */* ]]; then
    echo "docker.io/library/$ref"
  elif [[ "$first" == *.* || "$first" == *:* || "$first" == localhost ]]; then
    echo "$ref"
  else
    echo "docker.io/$ref"
  fi
}

# node_install_packages: the Debian packages above that are missing, through
# the test infrastructure's installer (no recommends, services not started).
node_install_packages() {
  local p missing=()
  for p in "${NODE_PACKAGES[@]}"; do
    [[ "$(dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null || true)" == installed ]] || missing+=("$p")
  done
  ((${#missing[@]})) || return 0
  log "installing Debian packages: ${missing[*]}"
  mkdir -p "$K8S_CACHE_ROOT"
  # shellcheck source=../../infra/lib.sh
  (source "$K8S_TESTBED_DIR/../infra/lib.sh" && apt_install "${missing[@]}") >>"$K8S_CACHE_ROOT/node-apt.log" 2>&1 ||
    die "apt could not install ${missing[*]}; see $K8S_CACHE_ROOT/node-apt.log"
}

# node_global_lock: holds the machine-wide real-node lock on fd 7. A script
# started by one that holds it (up running down) inherits the fd and goes on.
node_global_lock() {
  mkdir -p "$K8S_RUN_ROOT"
  if [[ "$(readlink /proc/$$/fd/7 2>/dev/null || true)" != "$NODE_GLOBAL_LOCK" ]]; then
    exec 7>"$NODE_GLOBAL_LOCK"
  fi
  flock -w 600 7 || die "another test/k8s/node/up or down holds $NODE_GLOBAL_LOCK"
}

# node_mounts: mount points under the node dir, deepest first.
node_mounts() {
  awk -v dir="$NODE_DIR" '$5 == dir || index($5, dir "/") == 1 { print length($5), $5 }' /proc/self/mountinfo |
    sort -rn | cut -d' ' -f2- | uniq
}

# node_sysctl_set KEY VALUE: sets a kernel setting, remembering the value it
# had in the node dir for down to put back.
node_sysctl_set() {
  local key=$1 value=$2 file="/proc/sys/${1//.//}" old
  old=$(cat "$file") || die "no kernel setting $key ($file)"
  grep -q "^$key " "$NODE_DIR/sysctl.saved" 2>/dev/null || echo "$key $old" >>"$NODE_DIR/sysctl.saved"
  [[ "$old" == "$value" ]] || echo "$value" >"$file" || die "could not set $key=$value"
}

node_sysctl_restore() {
  local key old
  [[ -f "$NODE_DIR/sysctl.saved" ]] || return 0
  while read -r key old; do
    echo "$old" >"/proc/sys/${key//.//}" 2>/dev/null || log "could not put $key back to $old"
  done <"$NODE_DIR/sysctl.saved"
  rm -f "$NODE_DIR/sysctl.saved"
}

# node_import_image TARBALL: imports an OCI layout tarball into containerd's
# k8s.io namespace under the name its index gives (annotation
# io.containerd.image.name), unless that name already has the same digest.
node_import_image() {
  local tarball=$1 index name digest have
  [[ -s "$tarball" ]] || die "no image tarball $tarball"
  index=$(tar -xOf "$tarball" ./index.json 2>/dev/null || tar -xOf "$tarball" index.json 2>/dev/null) ||
    die "$tarball is not an OCI layout tarball (no index.json)"
  while read -r name digest; do
    [[ -n "$name" && "$name" != null ]] ||
      die "$tarball: its index names no image (annotation io.containerd.image.name)"
    have=$(ctr_k8s images ls "name==$name" 2>/dev/null | awk 'NR > 1 { print $3 }')
    if [[ "$have" == "$digest" ]]; then
      log "image $name already present"
      continue
    fi
    log "importing image $name"
    quietly ctr_k8s images import "$tarball"
    have=$(ctr_k8s images ls "name==$name" | awk 'NR > 1 { print $3 }')
    [[ "$have" == "$digest" ]] || die "containerd has $name at '${have:-nothing}' after importing $tarball (want $digest)"
  done < <(jq -r '.manifests[] | "\(.annotations["io.containerd.image.name"]) \(.digest)"' <<<"$index")
}
