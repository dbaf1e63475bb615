"""Related sets carried as JSON in their parent's query (`portal.core.json_sets`): each instance equals what a
prefetch reads, field by field and type by type, on both databases, for the values that a JSON round trip could
change (time zones, microseconds, the year 9999, nested and unicode JSON, big integers, empty values)."""

import datetime

import pytest
from django.db import connection
from django.db.models import Prefetch
from django.test.utils import CaptureQueriesContext

from incidents import services
from incidents.models import ActionItem, CustodyEntry, Evidence, Incident, TimelineEvent
from incidents.services.records import record_event
from incidents.tests.factories import open_incident
from portal.core import json_sets
from portal.core.json_sets import JsonSet

USERNAME = ("username",)
SETS = (
    JsonSet("timeline", TimelineEvent, "incident", related={"actor": USERNAME}),
    JsonSet("evidence", Evidence, "incident", related={"collected_by": USERNAME}),
    JsonSet("custody", CustodyEntry, "evidence__incident", owner="evidence", related={"actor": USERNAME}),
    JsonSet("action_items", ActionItem, "review__incident", owner="review", related={"owner": USERNAME}),
)
ODD_PAYLOADS = [
    {"nested": {"list": [1, 2.5, None, True], "text": "quote \" backslash \\ newline \n tab \t"}},
    {"unicode": "Zürich — 東京 — 🚨", "empty": "", "zero": 0, "big": 2**62},
    {},
]


def carried(incident):
    parent = json_sets.annotate(Incident.objects.select_related("review"), SETS).get(pk=incident.pk)
    json_sets.attach(parent, SETS)
    return parent


def prefetched(incident):
    return Incident.objects.select_related("review").prefetch_related(
        Prefetch("timeline", TimelineEvent.objects.select_related("actor")),
        Prefetch("evidence", Evidence.objects.select_related("collected_by")),
        Prefetch("evidence__custody", CustodyEntry.objects.select_related("actor")),
        Prefetch("review__action_items", ActionItem.objects.select_related("owner")),
    ).get(pk=incident.pk)


def fields_of(instance):
    return [(field.attname, getattr(instance, field.attname), type(getattr(instance, field.attname)))
            for field in type(instance)._meta.concrete_fields]


def assert_same(left, right):
    assert [fields_of(instance) for instance in left] == [fields_of(instance) for instance in right]


@pytest.fixture
def incident(db, role_users):
    admin = role_users["admin"]
    incident = open_incident(admin)
    for payload in ODD_PAYLOADS:
        record_event(incident, "note", actor=admin, summary="Odd “values” ' ; --", payload=payload)
    record_event(incident, "note", actor=None, summary="By the portal itself")
    moments = [datetime.datetime(2025, 12, 31, 23, 59, 59, 999999, tzinfo=datetime.UTC),
               datetime.datetime(2026, 3, 29, 1, 30, tzinfo=datetime.timezone(datetime.timedelta(hours=2))),
               datetime.datetime(1970, 1, 1, tzinfo=datetime.UTC)]
    for i, moment in enumerate(moments):
        evidence = services.evidence_add(actor=admin, incident=incident, title=f"Log {i}",
                                         reference=f"s3://bucket/{i}", collected_at=moment)
        services.custody_record(actor=admin, evidence=evidence, action="accessed", at=moment,
                                notes="ünïcode\nnotes")
    review = services.review_record(actor=admin, incident=incident, root_cause="A poisoned corpus.")
    for year in (9999, 2026, 2027):
        services.action_item_add(actor=admin, review=review, description=f"Fix by {year}", owner=admin,
                                 due_on=datetime.date(year, 12, 31))
    return incident


def test_carried_sets_equal_a_prefetch_field_by_field(incident):
    expected = prefetched(incident)
    carried(incident)  # the connection's one-off feature checks (SQLite: does it have JSON functions)
    with CaptureQueriesContext(connection) as queries:
        parent = carried(incident)
        timeline, evidence = list(parent.timeline.all()), list(parent.evidence.all())
        custody = [list(item.custody.all()) for item in evidence]
        action_items = list(parent.review.action_items.all())
        usernames = [event.actor and event.actor.username for event in timeline]
    assert len(queries) == 1, [query["sql"][:200] for query in queries]

    assert_same(timeline, expected.timeline.all())
    assert_same(evidence, expected.evidence.all())
    assert [len(entries) for entries in custody] == [len(item.custody.all()) for item in expected.evidence.all()]
    for entries, item in zip(custody, expected.evidence.all(), strict=True):
        assert_same(entries, item.custody.all())
    assert_same(action_items, expected.review.action_items.all())
    assert [item.due_on.year for item in action_items] == [2026, 2027, 9999]  # the model's ordering
    assert usernames == [event.actor and event.actor.username for event in expected.timeline.all()]
    assert [event.payload for event in timeline if event.summary.startswith("Odd")] == ODD_PAYLOADS
    assert min(item.collected_at for item in evidence) == datetime.datetime(1970, 1, 1, tzinfo=datetime.UTC)


def test_a_parent_with_none_of_a_kind_reads_empty_sets_without_a_query(db, role_users, django_assert_num_queries):
    incident = open_incident(role_users["admin"])
    carried(incident)
    with django_assert_num_queries(1):
        parent = carried(incident)
        assert list(parent.evidence.all()) == []
        assert not hasattr(parent, "review")

    assert [event.pk for event in parent.timeline.all()] == [event.pk for event in prefetched(incident).timeline.all()]


def test_the_related_user_is_loaded_with_the_named_fields_only(incident):
    event = next(event for event in carried(incident).timeline.all() if event.actor)

    assert event.actor.username == "admin"
    assert event.actor.get_deferred_fields() >= {"password", "email"}
    assert event.incident.pk == incident.pk  # the owner is cached on each row, as a prefetch does
