import os
from pathlib import Path

from django.db import connection
from django.http import HttpResponse, JsonResponse
from django.shortcuts import render
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_POST

from .models import Note

IMAGE_VERSION = Path("/etc/notes/image-version").read_text().strip()


def _release():
    return {"image_version": IMAGE_VERSION, "image_tag": os.environ.get("BERTH_IMAGE_TAG", ""), "host": os.environ.get("BERTH_HOST", "")}


@require_GET
def index(request):
    return render(request, "notes/index.html", {"notes": Note.objects.count(), **_release()})


@require_GET
def healthz(request):
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    except Exception as error:
        connection.close()
        return HttpResponse(f"database unavailable: {type(error).__name__}\n", status=503, content_type="text/plain")
    return HttpResponse("ok\n", content_type="text/plain")


@require_GET
def version(request):
    return JsonResponse(_release())


@csrf_exempt
@require_POST
def add_note(request):
    Note.objects.create(text=request.body.decode("utf-8", "replace")[:200] or "note")
    return JsonResponse({"notes": Note.objects.count()}, status=201)
