"""Concurrency on PostgreSQL (skipped on SQLite, which serialises writers on one file lock): optimistic locking
loses no update, references stay distinct, and concurrent alerts with one dedup key open one incident.

Each thread uses its own database connection and closes it when done; a barrier starts the threads together.
"""

import threading

import pytest
from django.db import connection
from django.utils import timezone

from incidents import services
from incidents.models import Incident
from incidents.tests.factories import open_incident
from inventory.tests.factories import AISystemFactory
from portal.core.concurrency import StaleRecordError
from portal.tests.factories import make_user

pytestmark = [
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
    pytest.mark.skipif("connection.vendor != 'postgresql'",
                       reason="Needs PostgreSQL: SQLite serialises writers on one file lock."),
]


def run_together(n, work):
    """Run `work(i)` for i in 0..n-1 in n threads started at once; (results, errors)."""
    barrier = threading.Barrier(n, timeout=30)
    results, errors = [None] * n, []

    def runner(i):
        try:
            barrier.wait()
            results[i] = work(i)
        except Exception as exc:  # collected and asserted on below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=runner, args=(i,)) for i in range(n)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not any(t.is_alive() for t in threads), "a thread hung"
    return results, errors


def test_50_concurrent_updates_lose_nothing_each_is_applied_or_refused_as_stale():
    actor = make_user("racer")
    incident = open_incident(actor)
    rows_before = incident.history.count()

    def update(i):
        read = Incident.objects.get(pk=incident.pk)  # what this editor loaded
        try:
            services.incident_update(actor=actor, incident=read, expected_version=read.version,
                                     users_affected=1000 + i)
        except StaleRecordError:
            return None
        return 1000 + i

    results, errors = run_together(50, update)

    assert errors == []
    applied = [value for value in results if value is not None]
    assert applied, "at least the first update is applied"
    incident.refresh_from_db()
    assert incident.version == 1 + len(applied)
    new_rows = list(incident.history.all()[: incident.history.count() - rows_before])
    assert len(new_rows) == len(applied)
    assert sorted(row.users_affected for row in new_rows) == sorted(applied)
    assert [row.version for row in reversed(new_rows)] == list(range(2, 2 + len(applied)))
    assert incident.users_affected == new_rows[0].users_affected
    assert incident.timeline.filter(kind="updated").count() == len(applied)


def test_20_incidents_opened_at_once_get_20_distinct_references():
    actor = make_user("opener")
    results, errors = run_together(20, lambda i: open_incident(actor, title=f"Incident {i}").reference)
    assert errors == []
    assert len(set(results)) == 20 == Incident.objects.count()
    numbers = sorted(int(reference.rsplit("-", 1)[1]) for reference in results)
    assert numbers == list(range(1, 21))


def test_10_concurrent_alerts_with_one_dedup_key_open_exactly_one_incident():
    actor = make_user("monitor")
    AISystemFactory(slug="support-bot")
    observed = timezone.now()

    def deliver(i):
        return services.alert_receive(actor=actor, source="datadog", dedup_key="support-bot:toxicity",
                                      severity=["warning", "critical"][i % 2], title="Toxicity above 2%",
                                      observed_at=observed, system="support-bot", details={"delivery": i})

    results, errors = run_together(10, deliver)

    assert errors == []
    assert Incident.objects.count() == 1
    incident = Incident.objects.get()
    assert [r.created for r in results].count(True) == 1
    assert {r.incident.pk for r in results} == {incident.pk}
    assert incident.timeline.filter(kind="alert").count() == 10
    assert incident.severity == "p0"
