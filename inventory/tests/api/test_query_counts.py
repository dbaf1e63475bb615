"""Every list endpoint runs the same number of queries whatever the number of rows (no query per row).

Each builder adds rows through the services, mixing users and teams, owners and jurisdictions so that a missing
`select_related`/`prefetch_related` would show. A page holds PAGE_SIZE rows: 10 rows fill part of it, 60 fill
it, so a per-row query would change the count.
"""

import itertools

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import connection
from django.test.utils import CaptureQueriesContext

from inventory import services
from inventory.models import InventoryEvent, Jurisdiction
from inventory.tests.factories import AISystemFactory, ComponentFactory, TeamFactory

pytestmark = pytest.mark.django_db

PAGE_SIZE = settings.REST_FRAMEWORK["PAGE_SIZE"]
QUERY_BUDGET = 10  # session, user, permissions, count, page, prefetches


@pytest.fixture
def world(role_users):
    User = get_user_model()
    users = [User.objects.create(username=f"engineer-{i}") for i in range(2)]  # no password hashing: fast
    teams = [TeamFactory(members=users) for _ in range(2)]
    systems = [AISystemFactory(owner_team=teams[0], jurisdictions=["DE", "FR"]) for _ in range(2)]
    return {"users": users, "teams": teams, "systems": systems, "counter": itertools.count()}


def assignee(w, i):
    return {"user": w["users"][i % 2]} if i % 2 else {"team": w["teams"][i % 2]}


def add_systems(w, n):
    for i in range(n):
        system = AISystemFactory(owner_team=w["teams"][i % 2], jurisdictions=["DE", "IT"][: i % 3],
                                 risk_assessed_by=w["users"][0], risk_class="" if i % 2 else "minimal")
        services.raci_assign(actor=None, system=system, activity="own_system", role="accountable", **assignee(w, i))


def add_components(w, n):
    base = ComponentFactory(known_good=True)
    for _ in range(n):
        component = ComponentFactory(derived_from=base)
        services.system_component_attach(actor=None, system=w["systems"][0], component=component)


def add_system_components(w, n):
    for i in range(n):
        services.system_component_attach(actor=None, system=w["systems"][i % 2], component=ComponentFactory())


def add_dependencies(w, n):
    hub = ComponentFactory()
    for _ in range(n):
        services.dependency_add(actor=None, component=hub, depends_on=ComponentFactory())


def add_teams(w, n):
    for _ in range(n):
        TeamFactory(members=w["users"])


def add_raci(w, n):
    for i in range(n):
        services.raci_assign(actor=None, system=w["systems"][i % 2], activity="triage_incident", role="responsible",
                             **assignee(w, i))


def add_escalation_steps(w, n):
    for _ in range(n):
        i = next(w["counter"])
        services.escalation_step_create(actor=None, system=w["systems"][i % 2], severity="p1", order=i + 1,
                                        acknowledge_within_minutes=60, **assignee(w, i))


def add_jurisdictions(w, n):
    # Reference data, not tracked: created directly.
    start = next(w["counter"]) * 1000
    Jurisdiction.objects.bulk_create(Jurisdiction(code=f"T{start + i}", name=f"Test {i}") for i in range(n))


def add_events(w, n):
    for i in range(n):
        services.record_event(InventoryEvent.Kind.SYSTEM_UPDATED, actor=w["users"][i % 2], summary=f"Event {i}",
                              system=w["systems"][i % 2])


LISTS = {
    "systems": add_systems,
    "components": add_components,
    "system-components": add_system_components,
    "dependencies": add_dependencies,
    "teams": add_teams,
    "raci": add_raci,
    "escalation-steps": add_escalation_steps,
    "jurisdictions": add_jurisdictions,
    "events": add_events,
}


def count_queries(client, url):
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200, response.content
    return len(queries), response.json()


@pytest.mark.parametrize("name", LISTS)
def test_a_list_endpoint_runs_the_same_queries_for_10_and_60_rows(client_for, world, name):
    client = client_for("auditor")
    url = f"/api/v1/{name}/"
    LISTS[name](world, 10)
    client.get(url)  # warm caches that are not per row (content types, permissions of the session user)
    small, small_body = count_queries(client, url)

    LISTS[name](world, 50)
    large, large_body = count_queries(client, url)

    assert large_body["count"] >= small_body["count"] + 50
    assert len(large_body["results"]) == PAGE_SIZE > len(small_body["results"]) or name == "jurisdictions"
    assert small == large <= QUERY_BUDGET


def test_filtering_the_system_list_by_gaps_and_jurisdiction_keeps_the_query_count(client_for, world):
    client = client_for("auditor")
    url = "/api/v1/systems/?has_readiness_gaps=true&jurisdiction=de&ordering=-component_count"
    add_systems(world, 10)
    client.get(url)
    small, _ = count_queries(client, url)
    add_systems(world, 100)
    large, body = count_queries(client, url)
    assert small == large and body["count"] > 0
