"""Benchmark: the tamper-evident history chain, appending and verifying, on history tables of growing size.

Run with `make bench` (or `DATABASE_URL=... make bench` for PostgreSQL). Builds a throw-away test database, writes
N history rows of components (each chained against the head row as it is inserted, in batches as
`bulk_create_with_history` does), then times `verify_chain` over the table (what `verify_audit_trail` and the audit
bundle do per table) and `rows_status` for one object's rows (what an audit page does per table: the rows shown
rehashed, every link compared in the database).
"""

import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings_test")

import django

django.setup()

from django.db import connection  # noqa: E402
from django.test.utils import setup_test_environment  # noqa: E402
from simple_history.utils import bulk_create_with_history  # noqa: E402

from inventory.models import Component  # noqa: E402
from portal.core import auditchain  # noqa: E402


def median_ms(call, repeat):
    samples = []
    for _ in range(repeat):
        start = time.perf_counter()
        call()
        samples.append(time.perf_counter() - start)
    return statistics.median(samples) * 1000


def main():
    setup_test_environment()
    old_name = connection.creation.create_test_db(verbosity=0, autoclobber=True)
    history = Component.history.model
    try:
        print(f"database: {connection.vendor}")
        print(f"{'history rows':>12} {'append ms/row':>14} {'verify_chain ms':>16} {'page check ms':>14}")
        written = 0
        for size in (1_000, 10_000, 100_000):
            start = time.perf_counter()
            bulk_create_with_history(
                [Component(kind="library", name=f"c{written + i}", version="1") for i in range(size - written)],
                Component, batch_size=2000)
            append = (time.perf_counter() - start) * 1000 / (size - written)
            written = size
            report = auditchain.verify_chain(history)
            assert report.ok and report.rows == size, report
            one = Component.objects.order_by("pk").first().pk
            verify = median_ms(lambda: auditchain.verify_chain(history), repeat=3 if size > 10_000 else 7)
            shown = list(history.objects.filter(id=one))
            single = median_ms(lambda shown=shown: auditchain.rows_status(history, shown), repeat=5)
            print(f"{size:>12} {append:>14.3f} {verify:>16.1f} {single:>14.1f}")
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)


if __name__ == "__main__":
    main()
