"""`manage.py rebuild_dashboard_summaries`: recompute every summary of the governance dashboard from the source
tables (`reporting.dashboard.summaries.rebuild`).

The schedule runs the same rebuild every SCHEDULE_DASHBOARD_SUMMARIES_SECONDS; run this after a bulk load, a
migration that rewrites incidents, checklists or obligations, or a restore, so the page is right at once (ADR 0012).
"""

from datetime import UTC

from django.core.management.base import BaseCommand

from reporting.dashboard import summaries
from reporting.models import DashboardSummaryRow


class Command(BaseCommand):
    help = "Recompute the governance dashboard's summary tables from incidents, checklists and obligations."

    def handle(self, *args, **options):
        state = summaries.rebuild()
        rows = DashboardSummaryRow.objects.count()
        self.stdout.write(f"Dashboard summaries rebuilt as of {state.as_of.astimezone(UTC):%Y-%m-%d %H:%M:%S} UTC "
                          f"({rows} rows, {state.took_ms} ms).")
