# The lab's shape, shared by lab:up and lab:down. Addresses are fixed so
# Pulumi.local.yaml can name them; lab:up checks that they are free.

LAB_NETWORK="berth-lab"
LAB_SUBNET="172.30.0.0/24"
LAB_STATE="$BERTH_ROOT/lab/.state"
LAB_SSH_KEY="$LAB_STATE/ssh/id_ed25519"

# The services container: registry (pushed to on 127.0.0.1:5000, pulled from
# on 172.30.0.2:5000 by the hosts) and git daemon (git://172.30.0.2/).
LAB_SERVICES="berth-lab-services"
LAB_SERVICES_IP="172.30.0.2"
LAB_REGISTRY_PUSH="127.0.0.1:5000"
LAB_REGISTRY_PULL="$LAB_SERVICES_IP:5000"
# Pebble, the lab's ACME CA (in the services container): its directory, and
# the CA of its own HTTPS listener, copied out for berth:tls.acme.caCertificatesFile.
LAB_ACME_DIRECTORY="https://$LAB_SERVICES_IP:14000/dir"
LAB_ACME_CA_FILE="$LAB_STATE/acme/directory-ca.pem"
LAB_LOAD_BALANCER_IP="172.30.0.14"
# An S3-compatible server for backup uploads (lab/s3.sh, started by the tests
# that need it): SeaweedFS's S3 gateway (Apache-2.0), built from the Go module
# proxy, with one throwaway identity and the bucket berth-backups.
LAB_S3="berth-lab-s3"
LAB_S3_IP="172.30.0.3"
LAB_S3_ENDPOINT="http://$LAB_S3_IP:8333"
LAB_S3_BUCKET="berth-backups"
LAB_S3_ACCESS_KEY="berth-lab-backups"
LAB_S3_SECRET_KEY="berth-lab-backups-secret"
LAB_SEAWEEDFS_VERSION="v0.0.0-20261109003541-7506e5f91cd6"

# name, lab address, SSH port on 127.0.0.1, extra published ports.
LAB_HOSTS=(
  "web-1    172.30.0.11 2201"
  "web-2    172.30.0.12 2202"
  "worker-1 172.30.0.13 2203"
  "lb-1     172.30.0.14 2204 127.0.0.1:8080:80 127.0.0.1:8443:443"
  "data-1   172.30.0.15 2205"
)

lab_container() { echo "berth-lab-$1"; }

# The lab hosts' SSH host keys, read from each host container over Docker (a
# channel the lab trusts) when it starts: lab_ssh checks them strictly.
LAB_KNOWN_HOSTS="$LAB_STATE/ssh/known_hosts"

lab_ssh() {
  local port=$1; shift
  ssh -i "$LAB_SSH_KEY" -p "$port" -o IdentitiesOnly=yes -o StrictHostKeyChecking=yes \
    -o UserKnownHostsFile="$LAB_KNOWN_HOSTS" -o GlobalKnownHostsFile=/dev/null -o LogLevel=ERROR -o ConnectTimeout=5 root@127.0.0.1 "$@"
}
