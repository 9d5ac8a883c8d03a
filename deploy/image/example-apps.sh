# shellcheck shell=bash disable=SC2034
# The example apps image: the example fleet's services and worker (examples/video-platform)
# as their rendered Deployments start them (packages/switchyard/src/render/service.ts and
# worker.ts): no command, the image's entrypoint (deploy/image/example-app) picks the app from
# the pod's environment; a service listens on its PORT on every address (HOST), a worker
# serves its metrics on SWITCHYARD_METRICS_PORT. runAsNonRoot without a runAsUser needs a
# numeric user: uid 10001. Sourced by deploy/image/build (see deploy/image/lib.sh).

IMAGE_NAME=example-apps
IMAGE_REPO=switchyard/example-apps
APP_UID=10001

# tini so signals reach node and exited children (the worker's task processes) are reaped;
# Node's C++ runtime; CA certificates for an object store over https.
DEBIAN_SUITE=bookworm
DEBIAN_PACKAGES=(ca-certificates tini libstdc++6)
mapfile -t DEBIAN_HOOKS < <(debian_user app "$APP_UID" /home/app 'Example apps')

IMAGE_CONFIG=(
  --config.user "$APP_UID:$APP_UID" --config.workingdir /app/examples/video-platform
  --config.entrypoint /usr/bin/tini --config.entrypoint -- --config.entrypoint /usr/local/bin/example-app
  --config.env PATH=/usr/local/bin:/usr/local/sbin:/usr/sbin:/usr/bin:/sbin:/bin
  --config.env NODE_ENV=production --config.env HOME=/home/app --config.env HOST=0.0.0.0
  --config.exposedports 8080/tcp --config.exposedports 9464/tcp --config.stopsignal SIGTERM
  --config.label org.opencontainers.image.title=switchyard-example-apps
  --config.label "org.opencontainers.image.description=The example fleet's apps (examples/video-platform)"
)

# The worker SDK the encoding worker imports, and the apps (globs, relative to the repository).
APP_FILES=(packages/worker/package.json packages/worker/dist examples/video-platform/apps)

image_prepare() { build_repository; }

image_layers() {
  debian_layer
  node_layer
  modules_layer @switchyard/worker
  add_layer app "$(files_hash "${APP_FILES[@]}" deploy/image/example-app)" build_app
}

image_version() { switchyard_version; }

build_app() {
  local stage
  step "the example apps and the worker SDK $(image_version)"
  stage=$(new_stage app)
  copy_repo_files "$stage/app" "${APP_FILES[@]}"
  install -D -m 0755 "$DEPLOY_DIR/image/example-app" "$stage/usr/local/bin/example-app"
  layer_tar "$stage" "$1"; rm -rf "$stage"
}
