from django.http import JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from .health import CHECKS, failing_components


@never_cache
@require_GET
def alive(request):
    """The process answers: no database, nothing else touched."""
    return JsonResponse({"status": "ok"})


@never_cache
@require_GET
def ready(request):
    """200 when every component answers, else 503 naming those that did not."""
    failing = failing_components()
    checks = {name: "failed" if name in failing else "ok" for name in CHECKS}
    if failing:
        return JsonResponse({"status": "unavailable", "checks": checks}, status=503)
    return JsonResponse({"status": "ok", "checks": checks})
