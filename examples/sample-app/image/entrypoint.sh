#!/bin/sh
# The sample app's entrypoint: one image, many roles (seed 001's convention).
#
#   run            uWSGI serving the app on :8000, from berth's rendered ini
#   migrate        manage.py migrate --noinput        (a release task)
#   collectstatic  manage.py collectstatic --noinput  (a release task)
#   worker         celery worker (BERTH_WORKER_CONCURRENCY: berth:apps[].workerConcurrency)
#   beat           celery beat (the singleton scheduler)
#   manage ARGS    any manage.py command
#   shell          Django's shell
#
# berth sets BERTH_APP, BERTH_HOST, BERTH_IMAGE_TAG, BERTH_ENV_FILE,
# BERTH_UWSGI_INI and BERTH_CODE_DIR, and bind-mounts the app's host volume.
# Every long-running role is exec'd, so Docker's SIGTERM reaches the process
# itself: uWSGI finishes in-flight requests, celery does its warm shutdown.
set -eu

usage() {
    echo "usage: $0 run|migrate|collectstatic|worker|beat|manage ARGS...|shell" >&2
}

: "${BERTH_APP:=sample}"
: "${BERTH_CODE_DIR:=/srv/berth/$BERTH_APP/code}"
: "${BERTH_ENV_FILE:=/srv/berth/$BERTH_APP/env}"
: "${BERTH_UWSGI_INI:=/srv/berth/$BERTH_APP/uwsgi.ini}"
export BERTH_APP BERTH_CODE_DIR BERTH_ENV_FILE BERTH_UWSGI_INI

# Settings and secrets: KEY=value lines, exported to everything started below.
if [ -f "$BERTH_ENV_FILE" ]; then
    set -a
    # shellcheck disable=SC1090
    . "$BERTH_ENV_FILE"
    set +a
fi
: "${DJANGO_SETTINGS_MODULE:=sample.settings}"
export DJANGO_SETTINGS_MODULE

command="${1:-run}"
[ "$#" -gt 0 ] && shift

case "$command" in
    run|migrate|collectstatic|worker|beat|manage|shell) ;;
    *)
        echo "sample: unknown command '$command'" >&2
        usage
        exit 2
        ;;
esac

if [ ! -f "$BERTH_CODE_DIR/manage.py" ]; then
    echo "sample: no code at $BERTH_CODE_DIR (manage.py missing): is the release checked out?" >&2
    exit 1
fi
# The project is found from the code directory, whatever the working directory.
cd "$BERTH_CODE_DIR"
export PYTHONPATH="$BERTH_CODE_DIR${PYTHONPATH:+:$PYTHONPATH}"

case "$command" in
    run)
        # uWSGI goes back to its starting directory before each reload's
        # re-exec: start from / (the ini's `chdir` enters the code), so a
        # container never stays pinned to the release it was started with.
        cd /
        exec uwsgi --ini "$BERTH_UWSGI_INI"
        ;;
    migrate)
        exec python3 manage.py migrate --noinput "$@"
        ;;
    collectstatic)
        # collectstatic only copies files: it may run where no secrets are
        # (berth runs it on the load-balancer host), so any key will do.
        : "${SECRET_KEY:=collectstatic-signs-nothing}"
        export SECRET_KEY
        exec python3 manage.py collectstatic --noinput "$@"
        ;;
    worker)
        exec python3 -m celery --app sample worker \
            --loglevel "${CELERY_LOG_LEVEL:-info}" \
            --concurrency "${BERTH_WORKER_CONCURRENCY:-2}" \
            --hostname "worker@${BERTH_HOST:-%h}" \
            "$@"
        ;;
    beat)
        # The schedule's state lives in the container, never in the (possibly
        # read-only, shared) code directory.
        exec python3 -m celery --app sample beat \
            --loglevel "${CELERY_LOG_LEVEL:-info}" \
            --schedule /tmp/celerybeat-schedule \
            "$@"
        ;;
    manage)
        exec python3 manage.py "$@"
        ;;
    shell)
        exec python3 manage.py shell "$@"
        ;;
esac
