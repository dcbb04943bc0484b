# A running Docker engine. On a laptop it is already running; on a bare
# machine without systemd (CI, containers) setup starts dockerd itself.

ensure_docker_engine() {
  step "Docker engine"
  if docker info >/dev/null 2>&1; then
    note "running: $(docker version --format '{{.Server.Version}}')"
    return
  fi
  command -v dockerd >/dev/null || die "dockerd not found: install Debian's docker.io"
  local log="/var/log/berth-dockerd.log"
  note "starting dockerd (log: $log)"
  nohup dockerd >"$log" 2>&1 &
  local waited=0
  until docker info >/dev/null 2>&1; do
    sleep 1
    waited=$((waited + 1))
    [ "$waited" -lt 60 ] || die "dockerd did not answer within 60 s; see $log"
  done
  note "running: $(docker version --format '{{.Server.Version}}')"
}
