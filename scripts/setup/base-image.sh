# The Debian base image every berth image starts from. Where a registry
# serves debian:bookworm-slim we use it; otherwise (this offline machine)
# debootstrap builds a minbase root filesystem and `docker import` turns it
# into an image. Docker keeps the image, so later runs find it at once.

BERTH_BASE_IMAGE="berth/base:bookworm"

ensure_base_image() {
  step "Base image $BERTH_BASE_IMAGE"
  if docker image inspect "$BERTH_BASE_IMAGE" >/dev/null 2>&1; then
    note "present"
    return
  fi
  if timeout 30 docker pull -q debian:bookworm-slim >/dev/null 2>&1; then
    docker tag debian:bookworm-slim "$BERTH_BASE_IMAGE"
    note "tagged from debian:bookworm-slim"
    return
  fi
  local rootfs="$BERTH_CACHE/rootfs-bookworm"
  if [ ! -x "$rootfs/bin/sh" ]; then
    note "debootstrap --variant=minbase bookworm (about 30 s)"
    rm -rf "$rootfs"
    debootstrap --variant=minbase bookworm "$rootfs" >"$BERTH_CACHE/debootstrap.log" 2>&1 \
      || die "debootstrap failed; see $BERTH_CACHE/debootstrap.log"
  fi
  tar -C "$rootfs" -c . | docker import -q - "$BERTH_BASE_IMAGE" >/dev/null
  note "imported from $rootfs"
}
