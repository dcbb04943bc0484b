"""Settings of the sample project, read from the environment only.

In containers the image's entrypoint exports the variables of berth's env
file ($BERTH_ENV_FILE) before Django starts; nothing here is host-specific.
"""
import os
from pathlib import Path

from django.core.exceptions import ImproperlyConfigured

# The checkout this code was loaded from (berth's `code` link, resolved).
BASE_DIR = Path(__file__).resolve().parent.parent


def env(name, default=None):
    value = os.environ.get(name, "")
    if value != "":
        return value
    if default is None:
        raise ImproperlyConfigured(f"the environment variable {name} must be set")
    return default


def env_bool(name, default):
    value = os.environ.get(name, "").strip().lower()
    if value == "":
        return default
    return value in ("1", "true", "yes", "on")


def env_list(name, default):
    return [item.strip() for item in env(name, default).split(",") if item.strip()]


SECRET_KEY = env("SECRET_KEY")
DEBUG = env_bool("DEBUG", False)
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "*")
if "*" not in ALLOWED_HOSTS:
    # Docker's health check asks from inside the container.
    ALLOWED_HOSTS += ["127.0.0.1", "localhost"]

# nginx terminates HTTPS and says so in X-Forwarded-Proto (it sets the header on every request).
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

INSTALLED_APPS = [
    "django.contrib.staticfiles",
    "counter",
]

MIDDLEWARE = [
    "sample.middleware.ServedByMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "sample.urls"
WSGI_APPLICATION = "sample.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {"context_processors": ["django.template.context_processors.request"]},
    },
]

DATABASES = {
    "default": {
        "ENGINE": "django.db.backends.postgresql",
        "HOST": env("DATABASE_HOST", "localhost"),
        "PORT": env("DATABASE_PORT", "5432"),
        "NAME": env("DATABASE_NAME", "sample"),
        "USER": env("DATABASE_USER", "sample"),
        "PASSWORD": env("DATABASE_PASSWORD", ""),
        "CONN_MAX_AGE": int(env("DATABASE_CONN_MAX_AGE", "0")),
        # Fail fast when the database is away: /healthz must answer in time.
        "OPTIONS": {"connect_timeout": int(env("DATABASE_CONNECT_TIMEOUT", "2"))},
    }
}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = False
USE_TZ = True

STATIC_URL = "/static/"
# collectstatic writes here; nginx on the load balancer serves it at /static/.
STATIC_ROOT = env("BERTH_STATIC_DIR", "/srv/berth/sample/static")

# Celery: the broker is Redis; results are not kept (nothing reads them).
CELERY_BROKER_URL = env("CELERY_BROKER_URL", "redis://localhost:6379/0")
CELERY_TASK_IGNORE_RESULT = True
CELERY_TIMEZONE = TIME_ZONE
CELERY_BEAT_SCHEDULE = {
    "tick-every-5-seconds": {
        "task": "counter.tasks.tick",
        "schedule": 5.0,
        # Ticks queued while no worker runs are dropped, not replayed in a burst.
        "options": {"expires": 30},
    },
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", "INFO")},
}
