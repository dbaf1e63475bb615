"""A NUL character in a URL (`%00` in its path or query) is refused with a 400 before any view runs.

PostgreSQL cannot compare text with a NUL in it: a lookup by such a path segment (`/api/v1/incidents/A%00/`), a
search or a filter on an admin changelist would otherwise end in a server error. The API answers JSON naming the
parameter; other pages answer plain text.
"""

from django.http import HttpResponseBadRequest, JsonResponse

from portal.core.inputs import NUL, NUL_MESSAGE


def nul_in_url(request) -> str | None:
    """Where a NUL character is in the request's URL (`path`, or the query parameter's name), or None."""
    if NUL in request.path:
        return "path"
    for key, values in request.GET.lists():
        if NUL in key or any(NUL in value for value in values):
            return key.replace(NUL, "\\u0000") or "query"
    return None


class RefuseNulInUrlMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        where = nul_in_url(request)
        if where is None:
            return self.get_response(request)
        message = f"{NUL_MESSAGE} in the URL ({where})."
        if request.path.startswith("/api/"):
            return JsonResponse({where: [message]}, status=400)
        return HttpResponseBadRequest(message, content_type="text/plain; charset=utf-8")
