"""The Celery app of the portal: `celery -A portal worker -l info` runs the jobs and the scheduled tasks, `celery -A
portal beat -l info` sends the schedule (`CELERY_BEAT_SCHEDULE` in the settings).

Production sets CELERY_BROKER_URL (Redis). Without it (the embedded default, `make run`) no worker or beat is needed:
jobs run in a thread of the web process and the same schedule runs in a thread the server starts
(`portal.core.jobs`; README, "Background jobs").
"""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")

app = Celery("portal")
app.config_from_object("django.conf:settings", namespace="CELERY")
# Each app's `tasks` module: portal.core.tasks, incidents.tasks, reporting.tasks, inventory.tasks.
app.autodiscover_tasks()
