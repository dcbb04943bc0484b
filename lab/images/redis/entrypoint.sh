#!/bin/sh
# As the official image's entrypoint: `redis-server ...` (or a .conf file as
# the first argument) runs as the redis user, after the data directory (the
# working directory, a volume that root may have created) is given to it.
# Anything else runs as it is.
set -eu
case "${1:-}" in
    *.conf) set -- redis-server "$@" ;;
esac
if [ "${1:-}" = redis-server ] && [ "$(id -u)" = 0 ]; then
    find . ! -user redis -exec chown redis '{}' +
    exec setpriv --reuid=redis --regid=redis --init-groups "$@"
fi
exec "$@"
