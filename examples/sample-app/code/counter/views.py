import os

from django.conf import settings
from django.db import connection
from django.http import HttpResponse, JsonResponse
from django.shortcuts import render
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_POST

from .models import Counter, Visit
from .tasks import TICK


def _release_file(name, default):
    """REF and REVISION are written by berth next to the checkout."""
    try:
        return (settings.BASE_DIR / name).read_text().strip() or default
    except OSError:
        return default


# Read once, when the code is loaded: they describe the code this process runs
# (after the code link moves, the new values show once uWSGI has reloaded).
CODE_REF = _release_file("REF", "unknown")
REVISION = _release_file("REVISION", "unknown")


def _image_tag():
    return os.environ.get("BERTH_IMAGE_TAG", "unknown")


def _host():
    return os.environ.get("BERTH_HOST", "unknown")


@require_GET
def index(request):
    counter = Counter.objects.filter(name=TICK).first()
    context = {
        "ticks": counter.value if counter else 0,
        "visits": Visit.objects.count(),
        "code_ref": CODE_REF,
        "revision": REVISION,
        "image_tag": _image_tag(),
        "host": _host(),
    }
    return render(request, "counter/index.html", context)


@require_GET
def healthz(request):
    """200 when the database answers, 503 otherwise (or when broken on purpose)."""
    if os.environ.get("SAMPLE_BREAK_HEALTHZ") == "1":
        return HttpResponse("broken on purpose (SAMPLE_BREAK_HEALTHZ=1)\n", status=503, content_type="text/plain")
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception as error:  # any failure of the database means unhealthy
        connection.close()
        return HttpResponse(f"database unavailable: {type(error).__name__}\n", status=503, content_type="text/plain")
    return HttpResponse("ok\n", content_type="text/plain")


@require_GET
def version(request):
    # scheme: "https" behind berth's nginx over HTTPS (X-Forwarded-Proto, SECURE_PROXY_SSL_HEADER).
    return JsonResponse({"image_tag": _image_tag(), "code_ref": CODE_REF, "revision": REVISION, "host": _host(), "scheme": request.scheme})


@csrf_exempt
@require_POST
def visits(request):
    visit = Visit.objects.create(served_by=_host())
    return JsonResponse({"id": visit.id, "visits": Visit.objects.count()}, status=201)
