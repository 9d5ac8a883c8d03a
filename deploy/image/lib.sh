# shellcheck shell=bash
# The machinery of deploy/image/build, shared by every image: layers built once per key and
# kept in the cache, the base layout of an image's lower layers, umoci's assembly into an OCI
# layout tarball, and the cache's pruning. Sourced after deploy/lib.sh, before the image's
# definition (deploy/image/<image>.sh), which declares its layers and its configuration:
#
#   IMAGE_NAME    the file name's prefix (router → router-<tag>.oci.tar)
#   IMAGE_REPO    the reference's repository (switchyard/router)
#   IMAGE_CONFIG  umoci config options (user, entrypoint, environment, ports...)
#   image_layers  declares the layers, lowest first (debian_layer, node_layer, modules_layer, add_layer)
#   image_version the version part of the tag, once the layers exist
#   image_prepare optional: what must be built before the layers' keys can be known
#
# A layer is $IMAGE_CACHE/layers/<name>-<key>.tar, rebuilt only when its key changes; the key
# covers its inputs and this machinery. The image's <hash> covers every layer's key, the
# packages the Debian layer resolved to and the definition, so a warm call only hashes.

IMAGE_CACHE="$DEPLOY_CACHE/image"
LOG="$IMAGE_CACHE/build.log"
FORCE=no

hash_of() { sha256sum | cut -c1-12; }
step() { log "$*"; printf '\n== %s %s\n' "$(date +%H:%M:%S)" "$*" >>"$LOG"; }
# quietly CMD...: runs CMD with its output in the log; on failure, says where to look.
quietly() { "$@" >>"$LOG" 2>&1 || die "$1 failed; see $LOG"; }

MACHINERY_HASH=$(cat "$DEPLOY_DIR/image/build" "$DEPLOY_DIR/image/lib.sh" "$DEPLOY_DIR/lib.sh" | hash_of)

# --- the repository ---------------------------------------------------------

# build_repository: the TypeScript packages built (scripts/bootstrap), for images that hold them.
build_repository() {
  step "building Switchyard (scripts/bootstrap)"
  quietly "$REPO_ROOT/scripts/bootstrap"
}

switchyard_version() { node -p "require('$REPO_ROOT/packages/switchyard/package.json').version"; }

# --- layers -----------------------------------------------------------------

LAYER_NAMES=() LAYER_KEYS=() LAYER_BUILDERS=()

# add_layer NAME KEY BUILDER: the image's next layer; `BUILDER OUT` writes it as the tar OUT
# when the cache has none for this key.
add_layer() { LAYER_NAMES+=("$1"); LAYER_KEYS+=("$2"); LAYER_BUILDERS+=("$3"); }

layer_file() { echo "$IMAGE_CACHE/layers/$1-$2.tar"; }

# layer_tar DIR OUT: a layer from a staging directory, owned by root, in a stable order.
layer_tar() {
  tar --sort=name --owner=0 --group=0 --numeric-owner --mtime=@0 -C "$1" -cf "$2.tmp" . && mv "$2.tmp" "$2"
}

# new_stage NAME: an empty staging directory for a layer.
new_stage() { local d="$IMAGE_CACHE/stage-$1"; rm -rf "$d"; mkdir -p "$d"; echo "$d"; }

# debian_layer: Debian's essential packages and DEBIAN_PACKAGES from DEBIAN_SUITE (mmdebstrap),
# less documentation, with the definition's DEBIAN_HOOKS (mmdebstrap customize hooks; "$1" is
# the root directory; /run and /tmp are emptied after them). This machine's resolv.conf and
# hostname stay out: the container runtime mounts a pod's own. Beside the layer,
# <layer>.packages lists every package and its version.
debian_layer() {
  add_layer debian "$(printf '%s\n' "$DEBIAN_SUITE" "${DEBIAN_PACKAGES[@]}" -- "${DEBIAN_HOOKS[@]}" \
    "$DEFINITION_HASH $MACHINERY_HASH" | hash_of)" build_debian
}

build_debian() {
  local out="$1" sources=() hooks=() hook
  step "Debian $DEBIAN_SUITE root filesystem with ${DEBIAN_PACKAGES[*]} (mmdebstrap)"
  # The test infrastructure's installer: missing Debian packages only, one apt run at a time.
  command -v mmdebstrap >/dev/null || (source "$REPO_ROOT/test/infra/lib.sh" && apt_install mmdebstrap) >>"$LOG" 2>&1 ||
    die "could not install mmdebstrap from Debian's packages; see $LOG"
  # The machine's own Debian sources, when it has them; mmdebstrap's default otherwise.
  [[ -f /etc/apt/sources.list.d/debian.sources ]] && sources=(/etc/apt/sources.list.d/debian.sources)
  for hook in "${DEBIAN_HOOKS[@]}"; do hooks+=(--customize-hook="$hook"); done
  # shellcheck disable=SC2016 # the hooks' $1 is mmdebstrap's root directory, expanded by its shell
  quietly mmdebstrap --variant=essential --format=tar --include="$(IFS=,; echo "${DEBIAN_PACKAGES[*]}")" \
    --dpkgopt='path-exclude=/usr/share/man/*' --dpkgopt='path-exclude=/usr/share/info/*' \
    --dpkgopt='path-exclude=/usr/share/locale/*' --dpkgopt='path-exclude=/usr/share/doc/*' \
    --dpkgopt='path-include=/usr/share/doc/*/copyright' \
    "${hooks[@]}" \
    --customize-hook="dpkg-query --admindir=\"\$1/var/lib/dpkg\" -W -f='\${Package} \${Version}\\n' >\"${out%.tar}.packages.tmp\"" \
    --customize-hook='rm -rf "$1"/var/log/* "$1"/var/cache/ldconfig/* "$1"/etc/resolv.conf "$1"/etc/hostname' \
    "$DEBIAN_SUITE" "$out.tmp" "${sources[@]}"
  mv "${out%.tar}.packages.tmp" "${out%.tar}.packages"
  mv "$out.tmp" "$out"
}

# debian_user NAME UID HOME GECOS: mmdebstrap hooks adding the user (and its group) the image
# runs as, with its home directory.
debian_user() {
  echo "echo '$1:x:$2:$2:$4:$3:/usr/sbin/nologin' >>\"\$1/etc/passwd\""
  echo "echo '$1:x:$2:' >>\"\$1/etc/group\""
  echo "install -d -o $2 -g $2 -m 0750 \"\$1$3\""
}

# debian_package_version PACKAGE: its upstream version in the image's Debian layer (2.6.12 of 2.6.12-1+deb12u4).
debian_package_version() {
  local i v
  for i in "${!LAYER_NAMES[@]}"; do
    [[ ${LAYER_NAMES[$i]} == debian ]] || continue
    v=$(awk -v p="$1" '$1 == p {print $2}' "$IMAGE_CACHE/layers/debian-${LAYER_KEYS[$i]}.packages")
    [[ -n "$v" ]] || die "$1 is not in the image's Debian layer"
    v=${v#*:}; echo "${v%-*}"; return 0
  done
  die "the image has no Debian layer"
}

# node_layer: this machine's Node.js as /usr/local/bin/node.
node_layer() {
  NODE_BIN=$(readlink -f "$(command -v node)")
  NODE_VERSION=$(node --version)
  add_layer node "$(echo "$NODE_VERSION $(sha256sum "$NODE_BIN") $MACHINERY_HASH" | hash_of)" build_node
}

build_node() {
  local stage
  step "Node.js $NODE_VERSION from this machine ($NODE_BIN)"
  stage=$(new_stage node)
  install -D -m 0755 "$NODE_BIN" "$stage/usr/local/bin/node"
  layer_tar "$stage" "$1"; rm -rf "$stage"
}

# modules_layer [WORKSPACE...]: /app/node_modules, the production dependencies of the
# workspaces named (of them all when none is), as package-lock.json pins them.
modules_layer() {
  MODULES_WORKSPACES=("$@")
  add_layer modules "$( (cd "$REPO_ROOT" && cat package-lock.json package.json packages/*/package.json
    echo "$(node --version) ${MODULES_WORKSPACES[*]} $MACHINERY_HASH") | hash_of)" build_modules
}

build_modules() {
  local stage p ws=()
  step "production dependencies${MODULES_WORKSPACES[*]:+ of ${MODULES_WORKSPACES[*]}} (npm ci --omit=dev)"
  stage=$(new_stage modules)
  mkdir -p "$stage/app"
  for p in package.json package-lock.json packages/*/package.json; do
    install -D -m 0644 "$REPO_ROOT/$p" "$stage/app/$p"
  done
  for p in "${MODULES_WORKSPACES[@]}"; do ws+=(--workspace="$p"); done
  (cd "$stage/app" && quietly npm ci --omit=dev --ignore-scripts --no-audit --no-fund --prefer-offline "${ws[@]}")
  # The package files come with the app layer; this layer is node_modules alone, less what
  # node never loads (type declarations and source maps: 40% of it).
  find "$stage/app" -mindepth 1 -maxdepth 1 ! -name node_modules -exec rm -rf {} +
  find "$stage/app/node_modules" -type f \( -name '*.d.ts' -o -name '*.d.[cm]ts' -o -name '*.map' \) -delete
  layer_tar "$stage" "$1"; rm -rf "$stage"
}

# repo_files PATTERN...: the files under the paths the patterns name (globs, relative to the
# repository and expanded there), sorted.
repo_files() {
  # shellcheck disable=SC2068 # the patterns are globs
  (cd "$REPO_ROOT" && find $@ -type f ! -name '*.tsbuildinfo' | LC_ALL=C sort)
}

# files_hash PATTERN...: a key for those files of the repository.
files_hash() {
  (cd "$REPO_ROOT" && repo_files "$@" | xargs -d '\n' sha256sum; echo "$DEFINITION_HASH $MACHINERY_HASH") | hash_of
}

# copy_repo_files DEST PATTERN...: those files into DEST, readable by all, writable by none.
copy_repo_files() {
  local dest="$1"; shift
  mkdir -p "$dest"
  (cd "$REPO_ROOT" && repo_files "$@" | tar -cf - -T -) | tar -xf - -C "$dest"
  chmod -R a+rX,go-w "$dest"
}

# --- image ------------------------------------------------------------------

layers_present() {
  local i
  [[ $FORCE == no ]] || return 1
  for i in "${!LAYER_NAMES[@]}"; do [[ -s "$(layer_file "${LAYER_NAMES[$i]}" "${LAYER_KEYS[$i]}")" ]] || return 1; done
}

build_layers() {
  local i out
  mkdir -p "$IMAGE_CACHE/layers"
  for i in "${!LAYER_NAMES[@]}"; do
    out=$(layer_file "${LAYER_NAMES[$i]}" "${LAYER_KEYS[$i]}")
    if [[ $FORCE == yes || ! -s "$out" ]]; then "${LAYER_BUILDERS[$i]}" "$out"; fi
  done
}

# The tag, reference and tarball, once the layers exist.
name_image() {
  local i hash
  hash=$(for i in "${!LAYER_NAMES[@]}"; do
    echo "${LAYER_NAMES[$i]}-${LAYER_KEYS[$i]}"
    cat "$IMAGE_CACHE/layers/${LAYER_NAMES[$i]}-${LAYER_KEYS[$i]}.packages" 2>/dev/null || true
  done | { cat; echo "$DEFINITION_HASH $MACHINERY_HASH"; } | hash_of)
  IMAGE_VERSION=$(image_version)
  TAG="$IMAGE_VERSION-$hash"
  REF="$IMAGE_REPO:$TAG"
  TARBALL="$IMAGE_CACHE/$IMAGE_NAME-$TAG.oci.tar"
}

# containerd names an imported image by its normalised reference: docker.io/library/ for a
# name with no slash, docker.io/ for one whose first part is no host.
containerd_name() {
  local first="${1%%/*}"
  if [[ "$1" != */* ]]; then echo "docker.io/library/$1"
  elif [[ "$first" == *.* || "$first" == *:* || "$first" == localhost ]]; then echo "$1"
  else echo "docker.io/$1"; fi
}

base_dir() {
  local i ids=()
  for ((i = 0; i < ${#LAYER_NAMES[@]} - 1; i++)); do ids+=("${LAYER_NAMES[$i]}-${LAYER_KEYS[$i]}"); done
  echo "$IMAGE_CACHE/base-$(echo "${ids[*]}" | hash_of)"
}

assemble() {
  local umoci layout="$IMAGE_CACHE/layout.tmp" base i last lower
  base=$(base_dir)
  last=$((${#LAYER_NAMES[@]} - 1))
  umoci=$(tool umoci) || exit 1
  # Every layer but the top one, which changes most often, forms a base layout, kept; a new
  # build copies it and adds the top layer, so a code change compresses only that one.
  if [[ $FORCE == yes || ! -f "$base/index.json" ]]; then
    lower="${LAYER_NAMES[*]:0:last}"
    step "base layout: ${lower:-no layer} (umoci $UMOCI_VERSION)"
    rm -rf "$base.tmp"
    quietly "$umoci" init --layout "$base.tmp"
    quietly "$umoci" new --image "$base.tmp:base"
    for ((i = 0; i < last; i++)); do
      quietly "$umoci" raw add-layer --image "$base.tmp:base" --history.created_by "deploy/image/build: ${LAYER_NAMES[$i]}" \
        "$(layer_file "${LAYER_NAMES[$i]}" "${LAYER_KEYS[$i]}")"
    done
    rm -rf "$base"; mv "$base.tmp" "$base"
  fi
  step "image $REF"
  rm -rf "$layout"; cp -a "$base" "$layout"
  quietly "$umoci" raw add-layer --image "$layout:base" --tag "$TAG" \
    --history.created_by "deploy/image/build: ${LAYER_NAMES[$last]}" "$(layer_file "${LAYER_NAMES[$last]}" "${LAYER_KEYS[$last]}")"
  quietly "$umoci" config --image "$layout:$TAG" --os linux --architecture amd64 --author Switchyard \
    "${IMAGE_CONFIG[@]}" --config.label "org.opencontainers.image.version=$IMAGE_VERSION"
  quietly "$umoci" rm --image "$layout:base"
  quietly "$umoci" gc --layout "$layout"
  # containerd names an imported image by this annotation; the OCI one holds the tag alone.
  node -e '
    const fs = require("fs");
    const [file, name] = process.argv.slice(1);
    const index = JSON.parse(fs.readFileSync(file, "utf8"));
    for (const m of index.manifests) m.annotations = { ...m.annotations, "io.containerd.image.name": name };
    fs.writeFileSync(file, JSON.stringify(index));
  ' "$layout/index.json" "$(containerd_name "$REF")"
  tar --sort=name --owner=0 --group=0 --numeric-owner --mtime=@0 -C "$layout" -cf "$TARBALL.tmp" .
  mv "$TARBALL.tmp" "$TARBALL"
  rm -rf "$layout"
}

# What this image uses, in $IMAGE_CACHE/<image>.uses; prune keeps what any image uses, and
# each image's two newest tarballs.
record_uses() {
  local i
  { for i in "${!LAYER_NAMES[@]}"; do
      echo "layers/${LAYER_NAMES[$i]}-${LAYER_KEYS[$i]}.tar"
      [[ ${LAYER_NAMES[$i]} != debian ]] || echo "layers/${LAYER_NAMES[$i]}-${LAYER_KEYS[$i]}.packages"
    done
    basename "$(base_dir)"
  } >"$IMAGE_CACHE/$IMAGE_NAME.uses"
}

prune() {
  local f used
  used=$(cat "$IMAGE_CACHE"/*.uses)
  for f in "$IMAGE_CACHE"/layers/* "$IMAGE_CACHE"/base-*; do
    [[ -e "$f" ]] || continue
    grep -qxF "${f#"$IMAGE_CACHE"/}" <<<"$used" || rm -rf "$f"
  done
  # shellcheck disable=SC2012
  ls -t "$IMAGE_CACHE/$IMAGE_NAME"-[0-9]*.oci.tar 2>/dev/null | tail -n +3 | xargs -r rm -f
}

build_image() {
  local start=$SECONDS
  # Another build may have made it while this one waited for the lock.
  if layers_present; then
    name_image
    if [[ -s "$TARBALL" ]]; then return 0; fi
  fi
  : >"$LOG"
  build_layers
  name_image
  if [[ $FORCE == yes || ! -s "$TARBALL" ]]; then assemble; fi
  record_uses
  prune
  log "built $REF in $((SECONDS - start))s: $(du -h "$TARBALL" | cut -f1) in $TARBALL"
}

# image_build: the image's tarball and reference on stdout, built when the cache lacks them.
image_build() {
  mkdir -p "$IMAGE_CACHE/layers"
  if [[ $(type -t image_prepare) == function ]]; then image_prepare; fi
  image_layers
  if layers_present; then
    name_image
    if [[ -s "$TARBALL" ]]; then
      log "image up to date: $REF"
      printf '%s\n%s\n' "$TARBALL" "$REF"
      return 0
    fi
  fi
  with_lock "$IMAGE_CACHE/.build.lock" build_image
  name_image
  printf '%s\n%s\n' "$TARBALL" "$REF"
}
