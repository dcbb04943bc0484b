from celery import shared_task
from django.db.models import F

from .models import Counter

TICK = "tick"


@shared_task(name="counter.tasks.tick")
def tick():
    """Adds one to the tick counter, atomically in the database."""
    Counter.objects.get_or_create(name=TICK)
    Counter.objects.filter(name=TICK).update(value=F("value") + 1)
    return Counter.objects.get(name=TICK).value
