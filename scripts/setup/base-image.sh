# The Debian base image every berth image starts from. Where a registry
# serves debian:bookworm-slim we use it; otherwise (this offline machine)
# debootstrap builds a minbase root filesystem and `docker import` turns it
# into an image.
#
# Both caches are keyed by exactly what they are built from: the root
# filesystem by the debootstrap suite, variant and mirror; the image by that
# plus this file (a label on the image). A change of either rebuilds it.
# BERTH_FRESH_IMAGES=1 (CI) imports the image again from the cached root
# filesystem, so the import itself is exercised with whichever docker
# client comes first on PATH, and every lab image built on it is rebuilt.

BERTH_BASE_IMAGE="${BERTH_BASE_IMAGE:-berth/base:bookworm}"
BERTH_BASE_SUITE="bookworm"
BERTH_BASE_VARIANT="minbase"
BERTH_BASE_MIRROR="${BERTH_DEBIAN_MIRROR:-http://deb.debian.org/debian}"

base_rootfs_key() {
  printf '%s %s %s\n' "$BERTH_BASE_SUITE" "$BERTH_BASE_VARIANT" "$BERTH_BASE_MIRROR" | sha256sum | cut -c1-16
}

base_image_key() {
  { base_rootfs_key; cat "$BERTH_ROOT/scripts/setup/base-image.sh"; } | sha256sum | cut -c1-16
}

ensure_base_image() {
  step "Base image $BERTH_BASE_IMAGE"
  local key present
  key=$(base_image_key)
  present=$(docker image inspect --format '{{index .Config.Labels "berth.base-key"}}' "$BERTH_BASE_IMAGE" 2>/dev/null || true)
  if [ "$present" = "$key" ] && [ "${BERTH_FRESH_IMAGES:-0}" != 1 ]; then
    note "present (key $key)"
    return
  fi
  [ -z "$present" ] || note "rebuilding: ${BERTH_FRESH_IMAGES:+BERTH_FRESH_IMAGES=1, }key ${present:-none} → $key"
  if timeout 30 docker pull debian:bookworm-slim >/dev/null 2>&1; then
    # A one-line build adds the key label to the registry's image.
    printf 'FROM debian:bookworm-slim\nLABEL berth.base-key=%s\n' "$key" | docker build -t "$BERTH_BASE_IMAGE" - >/dev/null \
      || die "labelling debian:bookworm-slim as $BERTH_BASE_IMAGE failed"
    note "from debian:bookworm-slim (key $key)"
    return
  fi
  local rootfs="$BERTH_CACHE/rootfs-$BERTH_BASE_SUITE-$(base_rootfs_key)"
  if [ ! -f "$rootfs.done" ]; then
    note "debootstrap --variant=$BERTH_BASE_VARIANT $BERTH_BASE_SUITE (about 30-60 s)"
    rm -rf "$rootfs"
    debootstrap --variant="$BERTH_BASE_VARIANT" "$BERTH_BASE_SUITE" "$rootfs" "$BERTH_BASE_MIRROR" >"$BERTH_CACHE/debootstrap.log" 2>&1 \
      || die "debootstrap failed; see $BERTH_CACHE/debootstrap.log"
    touch "$rootfs.done"
  fi
  # No -q: docker 28's `import` has none; its only output is the image ID.
  tar -C "$rootfs" -c . | docker import --change "LABEL berth.base-key=$key" - "$BERTH_BASE_IMAGE" >/dev/null \
    || die "docker import of $rootfs as $BERTH_BASE_IMAGE failed"
  note "imported from $rootfs (key $key)"
}
