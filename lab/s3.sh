#!/usr/bin/env bash
# An S3-compatible server in the lab, for backup uploads: SeaweedFS's S3
# gateway at http://172.30.0.3:8333 with the bucket berth-backups, and the
# uploader image berth/rclone:bookworm in the lab registry. Needs the lab
# (lab/up.sh); idempotent. The first run builds SeaweedFS from the Go module
# proxy (about 5 min on 2 cores); the binary is cached by its version.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/../scripts/env.sh"
source "$BERTH_ROOT/scripts/setup/lib.sh"
source "$BERTH_ROOT/lab/lab.sh"
source "$BERTH_ROOT/lab/steps.sh"

weed_binary="$BERTH_CACHE/bin/weed-$LAB_SEAWEEDFS_VERSION"

ensure_weed_binary() {
  step "SeaweedFS $LAB_SEAWEEDFS_VERSION"
  if [ -x "$weed_binary" ]; then
    note "built ($weed_binary)"
    return
  fi
  command -v go >/dev/null || die "building SeaweedFS needs Go >= 1.25"
  # Its go.mod has replace directives, so `go install module@version` refuses it:
  # build inside the downloaded module, where they apply.
  local source
  source=$(go mod download -json "github.com/seaweedfs/seaweedfs@$LAB_SEAWEEDFS_VERSION" | node -e 'process.stdout.write(JSON.parse(require("fs").readFileSync(0, "utf8")).Dir)')
  mkdir -p "$(dirname "$weed_binary")"
  note "compiling weed (first run: about 5 min on 2 cores)"
  (cd "$source" && GOFLAGS=-buildvcs=false go build -trimpath -o "$weed_binary.partial" ./weed) >"$LAB_STATE/weed-build.log" 2>&1 \
    || die "building SeaweedFS failed; see $LAB_STATE/weed-build.log"
  mv -f "$weed_binary.partial" "$weed_binary"
  note "built $weed_binary"
}

ensure_lab_s3() {
  step "Lab S3 ($LAB_S3_ENDPOINT, bucket $LAB_S3_BUCKET)"
  mkdir -p "$LAB_STATE/s3"
  printf '{"identities":[{"name":"berth","credentials":[{"accessKey":"%s","secretKey":"%s"}],"actions":["Admin","Read","Write","List","Tagging"]}]}\n' \
    "$LAB_S3_ACCESS_KEY" "$LAB_S3_SECRET_KEY" >"$LAB_STATE/s3/identities.json"
  if [ "$(docker inspect -f '{{.State.Running}}' "$LAB_S3" 2>/dev/null)" != true ]; then
    docker rm -f -v "$LAB_S3" >/dev/null 2>&1 || true
    docker run -d --name "$LAB_S3" --hostname s3 --restart unless-stopped \
      --network "$LAB_NETWORK" --ip "$LAB_S3_IP" \
      -v "$weed_binary:/usr/local/bin/weed:ro" -v "$LAB_STATE/s3/identities.json:/etc/seaweedfs/identities.json:ro" \
      berth/base:bookworm weed server -dir=/tmp -ip="$LAB_S3_IP" -ip.bind=0.0.0.0 -s3 -s3.port=8333 \
      -s3.config=/etc/seaweedfs/identities.json -master.volumeSizeLimitMB=64 -volume.max=16 >/dev/null
    note "started"
  fi
  local waited=0
  until [ "$(curl -s -o /dev/null -w '%{http_code}' "$LAB_S3_ENDPOINT/")" = 403 ]; do
    sleep 1; waited=$((waited + 1))
    [ "$waited" -lt 90 ] || die "SeaweedFS's S3 gateway did not answer on $LAB_S3_ENDPOINT; see: docker logs $LAB_S3"
  done
  # The bucket, made with the uploader itself (an S3 client): mkdir keeps one that exists.
  lab_rclone mkdir "backup:$LAB_S3_BUCKET"
  note "bucket $LAB_S3_BUCKET ready"
}

ensure_uploader_image() {
  step "Backup uploader image"
  build_image berth/rclone:bookworm "$BERTH_ROOT/lab/images/rclone"
  docker tag berth/rclone:bookworm "$LAB_REGISTRY_PUSH/berth/rclone:bookworm"
  docker push -q "$LAB_REGISTRY_PUSH/berth/rclone:bookworm" >/dev/null || die "pushing berth/rclone:bookworm failed"
  note "$LAB_REGISTRY_PULL/berth/rclone:bookworm"
}

# rclone from the uploader image, on the lab network, signed with the lab's identity.
lab_rclone() {
  docker run --rm --network "$LAB_NETWORK" \
    -e RCLONE_CONFIG_BACKUP_TYPE=s3 -e RCLONE_CONFIG_BACKUP_PROVIDER=Other -e RCLONE_CONFIG_BACKUP_ENDPOINT="$LAB_S3_ENDPOINT" \
    -e RCLONE_CONFIG_BACKUP_REGION=us-east-1 -e RCLONE_CONFIG_BACKUP_FORCE_PATH_STYLE=true \
    -e RCLONE_CONFIG_BACKUP_ACCESS_KEY_ID="$LAB_S3_ACCESS_KEY" -e RCLONE_CONFIG_BACKUP_SECRET_ACCESS_KEY="$LAB_S3_SECRET_KEY" \
    berth/rclone:bookworm "$@"
}

ensure_weed_binary
ensure_uploader_image
ensure_lab_s3
