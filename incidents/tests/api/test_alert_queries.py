"""Alert intake in a constant number of queries: an alert opening an incident costs the same whether there are few
or many incidents and whether the runbook copied as its checklist is short or long; an appended (deduplicated)
alert costs the same few queries. The rows written in bulk are still complete: one history row of the incident
naming the token's user with its links, a history row per checklist item, and unbroken chains."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from incidents.models import ChecklistItem, Incident, Runbook, RunbookStep
from incidents.tests.api.test_alerts import URL, alert, tool  # noqa: F401  (the fixture)
from incidents.tests.factories import open_incident
from portal.core import auditchain

pytestmark = pytest.mark.django_db

# The whole request on PostgreSQL (token and permission lookups, dedup lock, reference upsert, inserts, one
# chained batch of history rows, the obligations recomputed, two timeline events); SQLite takes two fewer (no
# advisory locks).
MAX_QUERIES = 30


def post_counted(client, **overrides):
    with CaptureQueriesContext(connection) as queries:
        response = client.post(URL, alert(**overrides), format="json")
    return response, len(queries.captured_queries)


def lengthen_runbook(incident_class: str, steps: int) -> int:
    runbook = Runbook.objects.get(incident_class=incident_class)
    last = runbook.steps.order_by("-order").first().order
    RunbookStep.objects.bulk_create(RunbookStep(runbook=runbook, order=last + i, phase="contain",
                                                title=f"Extra step {i}") for i in range(1, steps + 1))
    return runbook.steps.count()


def test_an_alert_opening_an_incident_costs_the_same_few_queries_with_few_or_many_incidents(tool):  # noqa: F811
    tool.post(URL, alert(dedup_key="warm-up"), format="json")  # first use of caches and chain heads
    response, few = post_counted(tool, dedup_key="few")
    assert response.status_code == 201, response.content
    for i in range(15):
        open_incident(tool.user, title=f"Earlier incident {i}")
    response, many = post_counted(tool, dedup_key="many")

    assert response.status_code == 201, response.content
    assert few == many <= MAX_QUERIES


def test_the_query_count_of_an_alert_does_not_grow_with_the_runbook_steps(tool):  # noqa: F811
    tool.post(URL, alert(dedup_key="warm-up"), format="json")
    short = Runbook.objects.get(incident_class="harmful_output").steps.count()
    response, short_count = post_counted(tool, dedup_key="short runbook", incident_class="harmful_output")
    assert response.status_code == 201
    long = lengthen_runbook("harmful_output", 40)
    response, long_count = post_counted(tool, dedup_key="long runbook", incident_class="harmful_output")

    assert response.status_code == 201
    incident = Incident.objects.get(reference=response.json()["incident"])
    assert incident.checklist.count() == long == short + 40
    assert long_count == short_count <= MAX_QUERIES


def test_a_deduplicated_alert_costs_a_dozen_queries(tool):  # noqa: F811
    assert tool.post(URL, alert(dedup_key="same"), format="json").status_code == 201
    response, count = post_counted(tool, dedup_key="same", title="Again")

    assert response.status_code == 200 and response.json()["created"] is False
    assert count <= 12


def test_an_incident_opened_in_bulk_has_one_history_row_with_its_links_and_its_checklist_history(tool, inventory):  # noqa: F811
    response = tool.post(URL, alert(dedup_key="complete", systems=["support-bot"],
                                    components=[str(inventory.model.pk)]), format="json")

    assert response.status_code == 201, response.content
    incident = Incident.objects.get(reference=response.json()["incident"])
    (row,) = incident.history.all()
    assert (row.history_type, row.history_user, row.history_source) == ("+", tool.user, "api")
    assert (row.reference, row.title, row.version) == (incident.reference, incident.title, incident.version)
    assert [s.aisystem_id for s in row.systems.all()] == [inventory.system.pk]
    assert [c.component_id for c in row.components.all()] == [inventory.model.pk]
    items = list(incident.checklist.order_by("order"))
    assert items and [i.order for i in items] == sorted(i.order for i in items)
    history = ChecklistItem.history.filter(incident_id=incident.pk)
    assert history.count() == len(items)
    assert {(h.history_type, h.history_user_id, h.history_source) for h in history} == {("+", tool.user.pk, "api")}
    assert list(incident.timeline.values_list("kind", flat=True)) == ["opened", "alert"]
    for model in ("incidents.HistoricalIncident", "incidents.HistoricalIncident_systems",
                  "incidents.HistoricalIncident_components", "incidents.HistoricalChecklistItem"):
        report = auditchain.verify_chain(model)
        assert report.ok, report.first_break


def test_references_of_incidents_opened_one_after_another_count_up(tool):  # noqa: F811
    first = tool.post(URL, alert(dedup_key="one"), format="json").json()["incident"]
    second = tool.post(URL, alert(dedup_key="two"), format="json").json()["incident"]

    assert int(second.rsplit("-", 1)[1]) == int(first.rsplit("-", 1)[1]) + 1


def test_the_dedup_lookup_uses_its_index_where_most_incidents_have_no_key():
    """At 100,000 incidents, most without a deduplication key, SQLite judged an index on the key alone
    unselective and walked the whole list order for each alert (175 ms an alert). Planner statistics as they were
    then: the lookup must still search the key's index."""
    from incidents.selectors import open_incident_by_dedup_key

    if connection.vendor != "sqlite":
        pytest.skip("SQLite's planner statistics (sqlite_stat1)")
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
        cursor.execute("DELETE FROM sqlite_stat1 WHERE tbl = 'incidents_incident'")
        cursor.execute("SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'incidents_incident'")
        for (name,) in cursor.fetchall():
            # Every index as unselective as a key that 100,000 incidents share, except the list order (unique).
            stat = "100000 1 1" if name == "incident_list_detected" else "100000 100000 1 1"
            cursor.execute("INSERT INTO sqlite_stat1 (tbl, idx, stat) VALUES ('incidents_incident', %s, %s)",
                           [name, stat])
        cursor.execute("ANALYZE sqlite_schema")  # load the statistics just written
    with CaptureQueriesContext(connection) as queries:
        open_incident_by_dedup_key("alert-key")
    sql = queries.captured_queries[0]["sql"]
    with connection.cursor() as cursor:
        plan = " ".join(row[-1] for row in cursor.execute("EXPLAIN QUERY PLAN " + sql).fetchall())
    assert "USING INDEX incident_dedup_newest" in plan, plan
