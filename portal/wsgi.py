import gc
import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")
application = get_wsgi_application()
# What start-up loaded (Django, the apps, their modules: over 100,000 objects) lives as long as the process: frozen,
# it is left out of Python's full collections, which otherwise re-scan it every dozen or so requests (about 100 ms
# each on this project's 2-core reference machine, seen as the p95 of the admin lists).
gc.freeze()

# Without a Celery broker the serving process runs the schedule itself (runserver's serving child, gunicorn's
# workers); nothing else imports this module, so tests and other commands never start it.
from portal.core.jobs.schedule import start_if_embedded  # noqa: E402

start_if_embedded()
