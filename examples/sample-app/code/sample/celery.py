"""The celery app: broker and schedule come from Django's settings (CELERY_*)."""
import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "sample.settings")

app = Celery("sample")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
