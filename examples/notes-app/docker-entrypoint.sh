#!/bin/sh
# The notes app's entrypoint, after berth's image contract:
#   run | migrate | collectstatic | worker | beat | manage ARGS
# It sources berth's env file, then execs the role, so Docker's SIGTERM
# reaches uWSGI or celery itself.
set -eu

if [ -n "${BERTH_ENV_FILE:-}" ] && [ -f "$BERTH_ENV_FILE" ]; then
    set -a
    # shellcheck disable=SC1090
    . "$BERTH_ENV_FILE"
    set +a
fi
export DJANGO_SETTINGS_MODULE="${DJANGO_SETTINGS_MODULE:-config.settings}"
cd "${BERTH_CODE_DIR:-/app}"

command="${1:-run}"
[ "$#" -gt 0 ] && shift
case "$command" in
    run)           exec uwsgi --ini "$BERTH_UWSGI_INI" ;;
    migrate)       exec python3 manage.py migrate --noinput "$@" ;;
    collectstatic) exec python3 manage.py collectstatic --noinput "$@" ;;
    worker)        exec python3 -m celery --app config worker --loglevel info \
                       --concurrency "${BERTH_WORKER_CONCURRENCY:-1}" --hostname "notes@${BERTH_HOST:-%h}" "$@" ;;
    beat)          exec python3 -m celery --app config beat --loglevel info --schedule /tmp/celerybeat-schedule "$@" ;;
    manage)        exec python3 manage.py "$@" ;;
    *)             echo "notes: unknown command '$command' (run|migrate|collectstatic|worker|beat|manage)" >&2; exit 2 ;;
esac
