# shellcheck shell=bash disable=SC2034
# The router image: what a service's router pods run (packages/switchyard/src/render/router.ts).
# Sourced by deploy/image/build (see deploy/image/lib.sh).
#
# The router Deployment gives the container its arguments, `haproxy -W -db -f
# /usr/local/etc/haproxy/haproxy.cfg`, with no command: the image has no entrypoint, so they
# run as they are, and the same arguments are its default command. The pod runs as uid 99, the
# haproxy user of the official image the rendered specs name by default; Debian's haproxy user
# is renumbered to it. The ConfigMap is mounted on /usr/local/etc/haproxy; the Runtime API
# listens on the pod's loopback (127.0.0.1:8405), where Switchyard reaches it through the API
# server's port-forward, so the image needs no client of its own. Debian's HAProxy is built
# with the Prometheus exporter the stats port serves on /metrics.

IMAGE_NAME=router
IMAGE_REPO=switchyard/router
ROUTER_UID=99

# CA certificates for a legacy backend over TLS (ca-file @system-ca).
DEBIAN_SUITE=bookworm
DEBIAN_PACKAGES=(haproxy ca-certificates)
# shellcheck disable=SC2016 # "$1" is mmdebstrap's root directory, expanded by its shell
DEBIAN_HOOKS=(
  "chroot \"\$1\" groupmod --gid $ROUTER_UID haproxy"
  "chroot \"\$1\" usermod --uid $ROUTER_UID haproxy"
  'install -d -m 0755 "$1/usr/local/etc/haproxy"'
)

IMAGE_CONFIG=(
  --config.user "$ROUTER_UID:$ROUTER_UID" --config.workingdir /var/lib/haproxy
  --config.cmd haproxy --config.cmd -W --config.cmd -db --config.cmd -f
  --config.cmd /usr/local/etc/haproxy/haproxy.cfg
  --config.env PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
  --config.exposedports 8080/tcp --config.exposedports 8404/tcp
  # A soft stop: HAProxy stops listening and lets the connections in flight finish, within
  # the configuration's hard-stop-after and the pod's grace period.
  --config.stopsignal SIGUSR1
  --config.label org.opencontainers.image.title=switchyard-router
  --config.label "org.opencontainers.image.description=HAProxy for Switchyard's router pods"
)

image_layers() { debian_layer; }

image_version() { debian_package_version haproxy; }
