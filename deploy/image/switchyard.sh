# shellcheck shell=bash disable=SC2034
# Switchyard's image: its server and CLI. Sourced by deploy/image/build (see deploy/image/lib.sh).

IMAGE_NAME=switchyard
IMAGE_REPO=switchyard
APP_UID=10001

# What the image holds besides Debian's essential packages: git for the config repository
# (ssh for its ssh:// remotes, CA certificates for https:// ones and PostgreSQL's TLS), tini
# so signals reach node and exited children are reaped, Node's C++ runtime.
DEBIAN_SUITE=bookworm
DEBIAN_PACKAGES=(ca-certificates git openssh-client tini libstdc++6)
mapfile -t DEBIAN_HOOKS < <(debian_user switchyard "$APP_UID" /var/lib/switchyard Switchyard)

IMAGE_CONFIG=(
  --config.user "$APP_UID:$APP_UID" --config.workingdir /app
  --config.entrypoint /usr/bin/tini --config.entrypoint -- --config.entrypoint /usr/local/bin/node
  --config.entrypoint /app/packages/switchyard/dist/cli/main.js --config.cmd server
  --config.env PATH=/usr/local/bin:/usr/local/sbin:/usr/sbin:/usr/bin:/sbin:/bin
  --config.env NODE_ENV=production --config.env HOME=/var/lib/switchyard
  --config.exposedports 7070/tcp --config.stopsignal SIGTERM
  --config.label org.opencontainers.image.title=switchyard
  --config.label "org.opencontainers.image.description=Switchyard's server and CLI"
)

# The files of the app layer (globs, relative to the repository).
APP_FILES=(package.json 'packages/*/package.json' 'packages/*/dist' packages/switchyard/schema)

image_prepare() { build_repository; }

image_layers() {
  debian_layer
  node_layer
  modules_layer
  add_layer app "$(files_hash "${APP_FILES[@]}")" build_app
}

image_version() { switchyard_version; }

build_app() {
  local stage
  step "Switchyard $(image_version) (dist/, package.json files, schema/)"
  stage=$(new_stage app)
  copy_repo_files "$stage/app" "${APP_FILES[@]}"
  mkdir -p "$stage/usr/local/bin"
  ln -s /app/packages/switchyard/dist/cli/main.js "$stage/usr/local/bin/switchyard"
  layer_tar "$stage" "$1"; rm -rf "$stage"
}
