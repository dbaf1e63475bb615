"""The site shell: home and health."""

from django.db import connection
from django.http import JsonResponse
from django.shortcuts import redirect
from django.templatetags.static import static
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET


def landing(user) -> str:
    """Where a user starts: leadership (and nothing else) on the governance dashboard, everyone else in the admin."""
    from portal.core import roles

    held = roles.user_roles(user)
    return "dashboard:index" if held == {roles.LEADERSHIP} else "admin:index"


@require_GET
def home(request):
    return redirect(landing(request.user))


@require_GET
def favicon(request):
    """Browsers ask for /favicon.ico where a page names no icon (a PDF, a JSON response): the portal's icon."""
    return redirect(static("portal/favicon.svg"), permanent=True)


@never_cache
@require_GET
def health(request):
    """Liveness and database reachability for load balancers; reveals nothing else."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        return JsonResponse({"status": "ok"})
    except Exception:  # any database failure means unhealthy
        return JsonResponse({"status": "unavailable"}, status=503)
