"""Paging the incident list: page numbers and cursors return every incident exactly once in the list's order
(ties on the detection time included), refuse bad input naming the parameter, run a constant number of queries at
any depth, and (on PostgreSQL) read the page from an index that serves the order."""

from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from incidents import services
from incidents.models import Incident
from incidents.tests.api.conftest import API
from incidents.tests.factories import open_incident
from portal.core.api_pagination import PageOrCursorPagination

pytestmark = pytest.mark.django_db

PAGE = 4
QUERY_BUDGET = 8
SAME_TIME = datetime(2026, 3, 1, 12, tzinfo=UTC)


@pytest.fixture(autouse=True)
def small_pages(monkeypatch):
    monkeypatch.setattr(PageOrCursorPagination, "page_size", PAGE)
    # The list shows no checklist: skip copying the runbooks to keep opening incidents quick.
    monkeypatch.setattr("incidents.services.records.checklist_from_runbook", lambda incident, actor, **kwargs: 0)


@pytest.fixture
def auditor(client_for):
    return client_for("auditor")


def grow(actor, count):
    """Incidents up to `count`: every third detected at the same moment (ties), the rest an hour apart; every
    fifth dismissed (no SLA due time)."""
    for i in range(Incident.objects.count(), count):
        detected = SAME_TIME if i % 3 == 0 else SAME_TIME - timedelta(hours=i)
        incident = open_incident(actor, title=f"Incident {i}", severity=f"p{i % 4}", detected_at=detected)
        if i % 5 == 0:
            services.incident_transition(actor=actor, incident=incident, to="dismissed", note="Test alert.")


@pytest.fixture
def listed(role_users):
    grow(role_users["admin"], 23)
    return role_users["admin"]


def get(client, url):
    response = client.get(url)
    assert response.status_code == 200, response.content
    return response.json()


def walk(client, url, link="next"):
    """The references of every page reached from `url` by following `link`, and the pages' sizes."""
    references, sizes = [], []
    while url:
        body = get(client, url)
        rows = [row["reference"] for row in body["results"]]
        references.extend(rows if link == "next" else reversed(rows))
        sizes.append(len(rows))
        url = body[link]
    return references, sizes


def expected(ordering):
    return list(Incident.objects.order_by(*ordering).values_list("reference", flat=True))


ORDERINGS = {
    "": ["-detected_at", "-id"],
    "ordering=severity": ["severity", "-detected_at", "-id"],
    "ordering=-severity": ["-severity", "detected_at", "id"],
    "ordering=detected_at": ["detected_at", "id"],
    "ordering=reference": ["reference"],
}


@pytest.mark.parametrize("query", list(ORDERINGS))
def test_a_cursor_walk_returns_every_incident_once_in_order_forwards_and_back(auditor, listed, query):
    forwards, sizes = walk(auditor, f"{API}incidents/?cursor=&{query}")

    assert forwards == expected(ORDERINGS[query])
    assert sizes == [PAGE] * 5 + [3]
    last = get(auditor, f"{API}incidents/?cursor=&{query}")
    while last["next"]:
        last = get(auditor, last["next"])
    backwards, _ = walk(auditor, last["previous"], link="previous")
    assert backwards[::-1] + [row["reference"] for row in last["results"]] == forwards


@pytest.mark.parametrize("direction", ["", "-"])
def test_a_cursor_walk_by_sla_due_time_puts_incidents_without_one_last_ascending(auditor, listed, direction):
    references, _ = walk(auditor, f"{API}incidents/?cursor=&ordering={direction}sla_next_due_at")

    by_due = {i.reference: i.sla_next_due_at for i in Incident.objects.all()}
    assert sorted(references) == sorted(by_due) and len(set(references)) == len(references)
    dues = [by_due[r] for r in references]
    undated = [d is None for d in dues]
    assert any(undated) and not all(undated)
    if direction:  # descending: no due time first, then latest first
        assert undated == sorted(undated, reverse=True)
        assert [d for d in dues if d] == sorted((d for d in dues if d), reverse=True)
    else:
        assert undated == sorted(undated)
        assert [d for d in dues if d] == sorted(d for d in dues if d)


def test_a_cursor_walk_sees_an_incident_opened_on_the_way_once_and_loses_none(auditor, listed):
    body = get(auditor, f"{API}incidents/?cursor=&ordering=detected_at")
    seen = [row["reference"] for row in body["results"]]
    late = open_incident(listed, title="Opened during the walk", detected_at=SAME_TIME + timedelta(days=1))
    rest, _ = walk(auditor, body["next"])

    assert seen + rest == expected(["detected_at", "id"]) and rest[-1] == late.reference


def test_page_numbers_give_the_list_in_order_with_count_and_links(auditor, listed):
    references, sizes = walk(auditor, f"{API}incidents/?ordering=severity")
    first = get(auditor, f"{API}incidents/?ordering=severity")
    deep = get(auditor, f"{API}incidents/?ordering=severity&page=5")

    assert references == expected(ORDERINGS["ordering=severity"]) and sizes == [PAGE] * 5 + [3]
    assert first["count"] == 23 and first["count_is_estimate"] is False and first["previous"] is None
    assert "page=2" in first["next"] and "ordering=severity" in first["next"]
    assert [r["reference"] for r in deep["results"]] == references[16:20]
    assert "page=4" in deep["previous"] and "page=6" in deep["next"]


@pytest.mark.parametrize(("query", "parameter", "words"), [
    ("cursor=bm90IGEgY3Vyc29y", "cursor", "Not a cursor this list gave out"),
    ("cursor=%25%25%25", "cursor", "Not a cursor this list gave out"),
    ("page=abc", "page", "whole number from 1"),
    ("page=0", "page", "whole number from 1"),
    ("page=-3", "page", "whole number from 1"),
])
def test_a_bad_cursor_or_page_is_refused_naming_the_parameter(auditor, listed, query, parameter, words):
    response = auditor.get(f"{API}incidents/?{query}")

    assert response.status_code == 400
    assert set(response.json()) == {parameter} and words in response.json()[parameter][0]


def test_a_cursor_given_for_another_order_is_refused(auditor, listed):
    cursor = get(auditor, f"{API}incidents/?cursor=")["next"].split("cursor=")[1]
    response = auditor.get(f"{API}incidents/?cursor={cursor}&ordering=severity")

    assert response.status_code == 400 and "another order" in response.json()["cursor"][0]


def test_a_cursor_with_values_that_do_not_fit_is_refused(auditor, listed):
    import base64

    token = base64.urlsafe_b64encode(b'{"o":["-detected_at","-id"],"v":["yesterday",1]}').decode().rstrip("=")
    response = auditor.get(f"{API}incidents/?cursor={token}")

    assert response.status_code == 400 and "do not fit" in response.json()["cursor"][0]


def test_a_page_past_the_end_is_not_found_naming_the_last_page(auditor, listed):
    response = auditor.get(f"{API}incidents/?page=7")

    assert response.status_code == 404 and "it has 6 pages of 4" in response.json()["detail"]


def count_queries(client, url):
    with CaptureQueriesContext(connection) as queries:
        body = get(client, url)
    return len(queries), body


def next_cursor(client, url, pages):
    for _ in range(pages):
        url = get(client, url)["next"]
    return url


LIST_URLS = ["", "?page=3", "?severity=p1&ordering=-detected_at&page=2", "?ordering=sla_next_due_at&page=2",
             "?sla_state=on_track"]


def test_pages_and_cursors_run_the_same_few_queries_at_two_sizes_at_any_depth(auditor, listed):
    urls = [f"{API}incidents/{query}" for query in LIST_URLS]
    for url in urls:
        auditor.get(url)  # warm caches that are not per row (content types, the session user's permissions)
    small = [count_queries(auditor, url)[0] for url in urls]
    small_cursor = count_queries(auditor, next_cursor(auditor, f"{API}incidents/?cursor=", 3))[0]

    grow(listed, 60)
    large = [count_queries(auditor, url)[0] for url in urls]
    deep = count_queries(auditor, f"{API}incidents/?page=14")
    large_cursor = count_queries(auditor, next_cursor(auditor, f"{API}incidents/?cursor=", 12))[0]

    assert large == small and max(large) <= QUERY_BUDGET
    assert deep[0] == small[1] and len(deep[1]["results"]) == PAGE
    assert small_cursor == large_cursor <= QUERY_BUDGET


@pytest.mark.skipif(connection.vendor != "postgresql", reason="reads PostgreSQL's query plans")
@pytest.mark.parametrize(("ordering", "index"), [
    (["-detected_at", "-id"], "incident_list_detected"),
    (["detected_at", "id"], "incident_list_detected"),
    (["severity", "-detected_at", "-id"], "incident_list_severity"),
    (["-severity", "detected_at", "id"], "incident_list_severity"),
    (["-updated_at", "detected_at", "id"], "incident_list_updated"),
])
def test_the_page_ids_of_each_offered_order_are_read_from_its_index_without_a_sort(listed, ordering, index):
    from incidents import selectors

    queryset = selectors.incident_list().order_by(*ordering)
    with connection.cursor() as cursor:
        # A few rows: the planner would rather read the table or sort; an order no index serves still sorts.
        cursor.execute("SET LOCAL enable_seqscan = off; SET LOCAL enable_bitmapscan = off; SET LOCAL enable_sort = off")
        for start in (0, 16):
            sql, params = queryset.values_list("pk", flat=True)[start:start + PAGE].query.sql_with_params()
            cursor.execute(f"EXPLAIN {sql}", params)
            plan = "\n".join(row[0] for row in cursor.fetchall())
            assert index in plan and "Sort" not in plan, plan
