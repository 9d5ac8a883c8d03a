# shellcheck shell=bash disable=SC2034
# Shared helpers for deploy/ (the container image and the Helm chart): logging, the cache,
# and the Go tools built from the Go module proxy. Sourced, not run.
#
# Pinned tools: change the version here (helm) or in tools/gomod/go.mod (umoci); the stamp
# beside each binary names its version and sources, so a change rebuilds it.
#
# Env: SWITCHYARD_CACHE (cache root, default ${XDG_CACHE_HOME:-~/.cache}/switchyard), GOMODCACHE/GOCACHE
# (Go's). What the Go builds print goes to $SWITCHYARD_CACHE/tools/build.log.

set -euo pipefail

HELM_VERSION="v4.3.2"   # helm.sh/helm/v4
UMOCI_VERSION="$(awk '$1 == "require" && $2 == "github.com/opencontainers/umoci" {print $3}' \
  "$(dirname "${BASH_SOURCE[0]}")/tools/gomod/go.mod")"

DEPLOY_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO_ROOT="$(cd "$DEPLOY_DIR/.." && pwd)"
DEPLOY_CACHE="${SWITCHYARD_CACHE:-${XDG_CACHE_HOME:-${HOME:-/tmp}/.cache}/switchyard}"
TOOLS_DIR="$DEPLOY_CACHE/tools"

log() { printf '[deploy %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
die() { printf '[deploy %s] ERROR: %s\n' "$(date +%H:%M:%S)" "$*" >&2; exit 1; }

# with_lock FILE CMD...: runs CMD holding an exclusive lock on FILE (concurrent builds wait).
with_lock() {
  local file="$1"; shift
  mkdir -p "$(dirname "$file")"
  (
    exec 8>"$file"
    if ! flock -n 8; then
      log "another build holds $file; waiting for it"
      flock 8
    fi
    "$@"
  )
}

find_go() {
  local go
  go=$(command -v go || true)
  [[ -n "$go" ]] || { [[ -x /usr/local/go/bin/go ]] && go=/usr/local/go/bin/go; } ||
    die "go not found in PATH or /usr/local/go/bin (Go >= 1.24 builds helm and umoci)"
  echo "$go"
}

# The stamp a tool's build must match: its version and, for umoci, the wrapper module's sources.
tool_stamp() {
  case "$1" in
    helm) echo "helm=$HELM_VERSION" ;;
    umoci) echo "umoci=$UMOCI_VERSION src=$(cat "$DEPLOY_DIR"/tools/gomod/{go.mod,go.sum,tools.go} | sha256sum | cut -c1-16)" ;;
    *) die "unknown tool $1 (known: helm, umoci)" ;;
  esac
}

tool_dir() { echo "$TOOLS_DIR/$1"; }
tool_ok() { [[ -x "$(tool_dir "$1")/$1" && "$(cat "$(tool_dir "$1")/.stamp" 2>/dev/null)" == "$(tool_stamp "$1")" ]]; }

build_tool() {
  local name="$1" go tmp start=$SECONDS
  tool_ok "$name" && return 0
  go=$(find_go)
  tmp="$(tool_dir "$name").tmp.$$"
  rm -rf "$tmp"; mkdir -p "$tmp"
  local logf="$TOOLS_DIR/build.log"
  log "building $name ($(tool_stamp "$name")) from the Go module proxy; a cold build takes minutes (log: $logf)"
  printf '\n== %s %s %s\n' "$(date '+%F %T')" "$name" "$(tool_stamp "$name")" >>"$logf"
  local from; from=$(wc -l <"$logf")
  case "$name" in
    helm)
      # The version is stamped as helm's own release build does, so `helm version` names it.
      GOTOOLCHAIN=local GOFLAGS='' CGO_ENABLED=0 GOBIN="$tmp" "$go" install -trimpath \
        -ldflags "-s -w -X helm.sh/helm/v4/internal/version.version=$HELM_VERSION" \
        "helm.sh/helm/v4/cmd/helm@$HELM_VERSION" >>"$logf" 2>&1 ||
        { rm -rf "$tmp"; tail -n "+$((from + 1))" "$logf" | tail -n 15 >&2; die "go install of helm $HELM_VERSION failed; see $logf"; }
      ;;
    umoci)
      (cd "$DEPLOY_DIR/tools/gomod" && GOTOOLCHAIN=local GOFLAGS=-mod=readonly CGO_ENABLED=0 "$go" build -trimpath \
        -ldflags "-s -w" -o "$tmp/" github.com/opencontainers/umoci/cmd/umoci) >>"$logf" 2>&1 ||
        { rm -rf "$tmp"; tail -n "+$((from + 1))" "$logf" | tail -n 15 >&2; die "go build of umoci $UMOCI_VERSION failed; see $logf"; }
      ;;
  esac
  tool_stamp "$name" >"$tmp/.stamp"
  rm -rf "$(tool_dir "$name")"
  mv "$tmp" "$(tool_dir "$name")"
  log "$name built in $((SECONDS - start))s"
}

# tool NAME: the path of a pinned tool's binary, built into the cache when missing or stale.
# A warm call runs no `go` at all.
tool() {
  tool_ok "$1" || with_lock "$TOOLS_DIR/.$1.lock" build_tool "$1" || return 1
  echo "$(tool_dir "$1")/$1"
}
