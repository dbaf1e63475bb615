import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")
application = get_wsgi_application()

# Without a Celery broker the serving process runs the schedule itself (runserver's serving child, gunicorn's
# workers); nothing else imports this module, so tests and other commands never start it.
from portal.core.jobs.schedule import start_if_embedded  # noqa: E402

start_if_embedded()
