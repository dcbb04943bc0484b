# Debian packages berth's tests and lab need on the machine that runs them.
#   docker.io          the Docker engine (dockerd) the lab hosts run inside
#   debootstrap        builds the Debian base image when no registry serves one
#   git, openssh-*     code checkouts, SSH to lab hosts, sshd in provider tests
#   nginx-light        `nginx -t` validates rendered nginx configs
#   uwsgi-core, uwsgi-plugin-python3   parse rendered uWSGI ini files for real
#   curl               probes HTTP endpoints from remote commands and tests
#   cloud-init         `cloud-init schema` validates the droplets' rendered user data
#   chromium, fonts-dejavu-core   headless Chromium screenshots the deploy report and
#                      runs Mermaid on its gantt, as a reader's browser would

BERTH_HOST_PACKAGES=(
  ca-certificates chromium cloud-init curl debootstrap docker.io fonts-dejavu-core git
  nginx-light openssh-client openssh-server
  uwsgi-core uwsgi-plugin-python3
)

install_host_packages() {
  step "Debian packages"
  local missing=()
  local package
  for package in "${BERTH_HOST_PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q 'install ok installed' \
      || missing+=("$package")
  done
  if [ ${#missing[@]} -eq 0 ]; then
    note "all present"
    return
  fi
  if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null; then
    die "missing Debian packages: ${missing[*]} (install them as root with apt-get, then rerun)"
  fi
  note "installing: ${missing[*]}"
  # Only its schema validator is wanted here: a machine that did not have
  # cloud-init gets its documented kill switch, so it never runs at boot.
  if [[ " ${missing[*]} " == *" cloud-init "* ]]; then
    mkdir -p /etc/cloud && touch /etc/cloud/cloud-init.disabled
  fi
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}
