# Load the celery app whenever Django starts, so tasks are bound to it.
from .celery import app as celery_app

__all__ = ("celery_app",)
