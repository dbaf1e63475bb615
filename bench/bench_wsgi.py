"""The portal's WSGI application with the benchmark's floor page added (`bench_urls`): gunicorn serves this module
(`--pythonpath bench bench_wsgi:application`) during the alert-intake benchmark, so the empty view is measured
under the same server, workers and middleware as the intake itself."""

import os

from django.conf import settings
from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")
settings.ROOT_URLCONF = "bench_urls"
if os.environ.get("BENCH_MEDIA_ROOT"):
    settings.MEDIA_ROOT = os.environ["BENCH_MEDIA_ROOT"]

application = get_wsgi_application()
