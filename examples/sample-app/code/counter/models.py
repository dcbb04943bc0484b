from django.db import models


class Counter(models.Model):
    """A named number; celery beat's `tick` task adds one every five seconds."""

    name = models.CharField(max_length=100, unique=True)
    value = models.BigIntegerField(default=0)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self):
        return f"{self.name}={self.value}"


class Visit(models.Model):
    """One POST /visits: the write load berth's rollout tests send."""

    created_at = models.DateTimeField(auto_now_add=True)
    served_by = models.CharField(max_length=100, blank=True)

    class Meta:
        ordering = ["-created_at"]
