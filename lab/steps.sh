# The steps of lab:up. Each checks before it acts, so lab:up can run again.

ensure_lab_key() {
  step "Lab SSH key"
  if [ ! -f "$LAB_SSH_KEY" ]; then
    mkdir -p "$(dirname "$LAB_SSH_KEY")"
    ssh-keygen -q -t ed25519 -N '' -C berth-lab -f "$LAB_SSH_KEY"
    note "generated $LAB_SSH_KEY (never committed: lab/.state is gitignored)"
  else
    note "present"
  fi
  cp "$LAB_SSH_KEY.pub" "$LAB_STATE/ssh/authorized_keys"
  chmod 0644 "$LAB_STATE/ssh/authorized_keys"
}

# build_image TAG DIRECTORY [BUILD_ARG...]
build_image() {
  local tag=$1 directory=$2; shift 2
  local args=()
  for build_arg in "$@"; do args+=(--build-arg "$build_arg"); done
  # The build's own messages (and docker 28's notice that the legacy builder
  # is deprecated) are shown only when the build fails.
  local log="$LAB_STATE/build.log"
  mkdir -p "$LAB_STATE"
  docker build -q -t "$tag" "${args[@]}" "$directory" >/dev/null 2>"$log" || { cat "$log" >&2; die "building $tag from $directory failed"; }
}

build_lab_images() {
  step "Lab images (Docker's build cache keys each by its Dockerfile, its files and the base image)"
  build_image berth-lab/host:bookworm "$BERTH_ROOT/lab/images/host"
  build_image berth-lab/services:bookworm "$BERTH_ROOT/lab/images/services"
  build_image berth/nginx:bookworm "$BERTH_ROOT/lab/images/nginx"
  build_image berth/lego:bookworm "$BERTH_ROOT/lab/images/lego"
  build_image berth/postgres:15 "$BERTH_ROOT/lab/images/postgres"
  build_image berth/redis:7 "$BERTH_ROOT/lab/images/redis"
  local sample="$BERTH_ROOT/examples/sample-app/image"
  build_image berth/sample:v1 "$sample" VERSION=v1
  build_image berth/sample:v2 "$sample" VERSION=v2
  # v3's /healthz always fails: berth's health gate must stop its rollout.
  build_image berth/sample:v3 "$sample" VERSION=v3 BREAK_HEALTHZ=1
  # An ordinary Django app: code in the image, manifest static files, strict ALLOWED_HOSTS, non-root.
  local notes="$BERTH_ROOT/examples/notes-app"
  build_image berth/notes:v1 "$notes" VERSION=v1
  build_image berth/notes:v2 "$notes" VERSION=v2
  note "built host, services, nginx, lego, postgres, redis, sample v1 v2 v3, notes v1 v2"
}

ensure_lab_network() {
  step "Lab network $LAB_NETWORK ($LAB_SUBNET)"
  if docker network inspect "$LAB_NETWORK" >/dev/null 2>&1; then
    note "present"
  else
    docker network create --subnet "$LAB_SUBNET" "$LAB_NETWORK" >/dev/null \
      || die "cannot create $LAB_NETWORK on $LAB_SUBNET (another network uses it? docker network ls)"
    note "created"
  fi
}

# Running a container fully privileged is right on an ordinary machine; some
# sandboxes refuse it ("unable to apply caps": no CAP_SYS_RESOURCE). Then all
# capabilities but that one, without seccomp/apparmor, with the host cgroups.
lab_isolation_flags() {
  if [ -z "${LAB_ISOLATION_FLAGS:-}" ]; then
    if docker run --rm --privileged berth/base:bookworm true >/dev/null 2>&1; then
      LAB_ISOLATION_FLAGS="--privileged"
    else
      LAB_ISOLATION_FLAGS="--cap-add=ALL --cap-drop=SYS_RESOURCE --security-opt seccomp=unconfined --security-opt apparmor=unconfined --cgroupns=host -v /sys/fs/cgroup:/sys/fs/cgroup:rw"
    fi
  fi
  echo "$LAB_ISOLATION_FLAGS"
}

# lab_container_is_ours CONTAINER DESTINATION SOURCE IMAGE: the container runs
# the current build of IMAGE and mounts SOURCE at DESTINATION. One started
# from an older build of the image is recreated (its Dockerfile changed). A lab another checkout brought up mounts that
# checkout's lab/.state (its SSH key, its git repositories): this one cannot
# use it, so it is recreated from scratch, as lab:down would (what that
# checkout deployed on it goes; its local stack must deploy again).
lab_container_is_ours() {
  local container=$1 destination=$2 source=$3 image=$4
  [ "$(docker inspect -f '{{.State.Running}}' "$container" 2>/dev/null)" = true ] || return 1
  if [ "$(docker inspect -f '{{.Image}}' "$container")" != "$(docker image inspect -f '{{.Id}}' "$image")" ]; then
    note "$container runs an older build of $image: recreating it"
    return 1
  fi
  local mounted
  mounted=$(docker inspect -f "{{range .Mounts}}{{if eq .Destination \"$destination\"}}{{.Source}}{{end}}{{end}}" "$container")
  if [ "$mounted" != "$source" ]; then
    note "$container belongs to another checkout ($mounted): recreating it for this one"
    return 1
  fi
  # The same path, but a checkout deleted and cloned again there: the mount
  # still shows the deleted files. A marker written now must be visible inside.
  local marker
  marker=".berth-lab-check-$$"
  if [ -d "$source" ]; then
    touch "$source/$marker"
    docker exec "$container" test -e "$destination/$marker" || { rm -f "$source/$marker"; note "$container mounts a deleted copy of $source: recreating it"; return 1; }
    rm -f "$source/$marker"
  elif [ "$(docker exec "$container" cat "$destination" 2>/dev/null)" != "$(cat "$source" 2>/dev/null)" ]; then
    note "$container mounts a deleted copy of $source: recreating it"
    return 1
  fi
}

ensure_lab_services() {
  step "Lab services: registry, git daemon, ACME CA (Pebble)"
  mkdir -p "$LAB_STATE/git"
  if lab_container_is_ours "$LAB_SERVICES" /srv/git "$LAB_STATE/git" berth-lab/services:bookworm; then
    note "running"
  else
    docker rm -f "$LAB_SERVICES" >/dev/null 2>&1 || true
    docker run -d --name "$LAB_SERVICES" --hostname services --restart unless-stopped \
      --network "$LAB_NETWORK" --ip "$LAB_SERVICES_IP" -p "$LAB_REGISTRY_PUSH:5000" \
      -v berth-lab-registry:/var/lib/docker-registry -v "$LAB_STATE/git:/srv/git:ro" \
      -e LAB_ACME_TARGET="$LAB_LOAD_BALANCER_IP" \
      berth-lab/services:bookworm >/dev/null
    note "started"
  fi
  local waited=0
  until curl -fsS "http://$LAB_REGISTRY_PUSH/v2/" >/dev/null 2>&1; do
    sleep 1; waited=$((waited + 1))
    [ "$waited" -lt 30 ] || die "the lab registry did not answer on $LAB_REGISTRY_PUSH; see: docker logs $LAB_SERVICES"
  done
  mkdir -p "$(dirname "$LAB_ACME_CA_FILE")"
  docker exec "$LAB_SERVICES" cat /etc/pebble/ca.pem >"$LAB_ACME_CA_FILE.next" && mv -f "$LAB_ACME_CA_FILE.next" "$LAB_ACME_CA_FILE"
  waited=0
  until docker exec "$LAB_SERVICES" curl -fsS --cacert /etc/pebble/ca.pem "$LAB_ACME_DIRECTORY" >/dev/null 2>&1; do
    sleep 1; waited=$((waited + 1))
    [ "$waited" -lt 30 ] || die "Pebble did not answer on $LAB_ACME_DIRECTORY; see: docker exec $LAB_SERVICES cat /var/log/pebble.log"
  done
  note "ACME directory $LAB_ACME_DIRECTORY (its listener's CA: $LAB_ACME_CA_FILE)"
}

push_lab_images() {
  step "Images into the lab registry"
  local image
  for image in berth/nginx:bookworm berth/lego:bookworm berth/postgres:15 berth/redis:7 berth/sample:v1 berth/sample:v2 berth/sample:v3 berth/notes:v1 berth/notes:v2; do
    docker tag "$image" "$LAB_REGISTRY_PUSH/$image"
    docker push -q "$LAB_REGISTRY_PUSH/$image" >/dev/null || die "pushing $image to $LAB_REGISTRY_PUSH failed"
  done
  # A third good tag of the sample (v2's image again, as a rebuild would give): enough
  # deployed tags for keepReleases 2 to prune one.
  docker tag berth/sample:v2 "$LAB_REGISTRY_PUSH/berth/sample:v2.1"
  docker push -q "$LAB_REGISTRY_PUSH/berth/sample:v2.1" >/dev/null || die "pushing berth/sample:v2.1 to $LAB_REGISTRY_PUSH failed"
  # The database server under a second tag, as a minor update's image would come: changing an
  # accessory's image to it replaces the container on the same volume.
  docker tag berth/postgres:15 "$LAB_REGISTRY_PUSH/berth/postgres:15-rebuild"
  docker push -q "$LAB_REGISTRY_PUSH/berth/postgres:15-rebuild" >/dev/null || die "pushing berth/postgres:15-rebuild to $LAB_REGISTRY_PUSH failed"
  note "pushed; hosts pull them as $LAB_REGISTRY_PULL/<image>"
}

publish_sample_code() {
  step "Sample app code in git"
  bash "$BERTH_ROOT/examples/sample-app/make-repo.sh" "$LAB_STATE/git/sample.git" >/dev/null
  note "git://$LAB_SERVICES_IP/sample.git (tags: $(git --git-dir "$LAB_STATE/git/sample.git" tag | tr '\n' ' '))"
}

# ensure_lab_host NAME ADDRESS SSH_PORT [PUBLISH...]
ensure_lab_host() {
  local name=$1 address=$2 ssh_port=$3
  shift 3
  local container
  container=$(lab_container "$name")
  if lab_container_is_ours "$container" /lab/authorized_keys "$LAB_STATE/ssh/authorized_keys" berth-lab/host:bookworm \
    && lab_host_publishes "$container" "$@"; then
    note "$name: running"
    return
  fi
  if [ "$(docker inspect -f '{{.State.Running}}' "$container" 2>/dev/null)" = true ]; then
    # Running, but not this checkout's: what it runs was deployed by another one.
    docker rm -f -v "$container" >/dev/null 2>&1 || true
    docker volume rm "$container-docker" >/dev/null 2>&1 || true
  fi
  docker rm -f "$container" >/dev/null 2>&1 || true
  local ports=(-p "127.0.0.1:$ssh_port:22")
  local publish
  for publish in "$@"; do ports+=(-p "$publish"); done
  # shellcheck disable=SC2046 # the isolation flags are several words
  docker run -d --name "$container" --hostname "$name" --restart unless-stopped \
    --network "$LAB_NETWORK" --ip "$address" "${ports[@]}" \
    $(lab_isolation_flags) \
    -v "$container-docker:/var/lib/docker" \
    -v "$LAB_STATE/ssh/authorized_keys:/lab/authorized_keys:ro" \
    -e LAB_REGISTRY="$LAB_REGISTRY_PULL" \
    berth-lab/host:bookworm >/dev/null || die "starting lab host $name failed"
  note "$name: started ($address, ssh 127.0.0.1:$ssh_port)"
}

# lab_host_publishes CONTAINER [PUBLISH...]: the container publishes each
# HOST_ADDRESS:HOST_PORT:CONTAINER_PORT (a lab from before a port was added is recreated).
lab_host_publishes() {
  local container=$1 publish
  shift
  for publish in "$@"; do
    local address=${publish%%:*} rest=${publish#*:}
    local host_port=${rest%%:*} container_port=${rest#*:}
    docker port "$container" "$container_port/tcp" 2>/dev/null | grep -qx "$address:$host_port" || {
      note "$container does not publish $publish: recreating it"
      return 1
    }
  done
}

# record_lab_host_key NAME ADDRESS SSH_PORT: the host's ed25519 key, read over
# `docker exec` (not over the network), into the lab's known_hosts.
record_lab_host_key() {
  local name=$1 ssh_port=$3
  local container key waited=0
  container=$(lab_container "$name")
  until key=$(docker exec "$container" cat /etc/ssh/ssh_host_ed25519_key.pub 2>/dev/null); do
    sleep 0.5; waited=$((waited + 1))
    [ "$waited" -lt 60 ] || die "lab host $name: no SSH host key after 30 s; see: docker logs $container"
  done
  mkdir -p "$(dirname "$LAB_KNOWN_HOSTS")"
  touch "$LAB_KNOWN_HOSTS"
  { grep -vF "[127.0.0.1]:$ssh_port " "$LAB_KNOWN_HOSTS" || true; echo "[127.0.0.1]:$ssh_port $(echo "$key" | cut -d' ' -f1-2)"; } >"$LAB_KNOWN_HOSTS.next"
  mv -f "$LAB_KNOWN_HOSTS.next" "$LAB_KNOWN_HOSTS"
}

wait_for_lab_host() {
  local name=$1 ssh_port=$3
  record_lab_host_key "$@"
  local waited=0
  until lab_ssh "$ssh_port" docker info >/dev/null 2>&1; do
    sleep 1; waited=$((waited + 1))
    [ "$waited" -lt 60 ] || die "lab host $name: no docker over ssh after 60 s; see: docker logs $(lab_container "$name")"
  done
}

# PostgreSQL and Redis run on the data host as "accessories" (Kamal's word):
# long-lived, started once, their data on a volume of the host's own dockerd.
write_lab_addresses() {
  local hosts=() host
  for host in "${LAB_HOSTS[@]}"; do
    set -- $host
    hosts+=("{\"name\":\"$1\",\"address\":\"127.0.0.1\",\"sshPort\":$3,\"privateAddress\":\"$2\"}")
  done
  local IFS=,
  printf '{"sshKeyPath":"%s","registry":"%s","nginx":"http://127.0.0.1:8080","nginxHttps":"https://127.0.0.1:8443","acmeDirectory":"%s","acmeCaFile":"%s","hosts":[%s]}\n' \
    "$LAB_SSH_KEY" "$LAB_REGISTRY_PULL" "$LAB_ACME_DIRECTORY" "$LAB_ACME_CA_FILE" "${hosts[*]}" >"$LAB_STATE/lab.json"
}
