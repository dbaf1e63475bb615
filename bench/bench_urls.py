"""The portal's URLs plus the benchmark's floor page: `/bench/empty/`, a trivial view through the same middleware.

The empty view asks whether the user is signed in, so its time includes what every page pays before its own work
(the session and user look-ups, the middleware); a page's ratio to it is the cost of the page itself.
"""

from django.http import HttpResponse
from django.urls import path

from portal.urls import urlpatterns as portal_urlpatterns


def empty(request):
    signed_in = request.user.is_authenticated
    return HttpResponse(b"signed in" if signed_in else b"anonymous", content_type="text/plain")


urlpatterns = [path("bench/empty/", empty, name="bench-empty"), *portal_urlpatterns]
