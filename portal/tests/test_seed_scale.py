"""`seed_scale`: the issue's mix per incident, valid chains, obligations from the clock's rules, refusals.

The data set is seeded once for the module (40 incidents in chunks of 15, in a transaction rolled back after the
module's tests; each test runs in a savepoint inside it): the tests read what one run of the command made.
"""

import io
from statistics import mean

import pytest
from django.core.management import CommandError, call_command
from django.db import transaction
from django.db.models import Count
from django.test import override_settings

from incidents.lifecycle import Status
from incidents.models import ChecklistItem, Incident, TimelineEvent
from portal.core import auditchain, scale
from reporting.models import Obligation
from reporting.services.obligations import incident_specs

pytestmark = pytest.mark.django_db

N = 40


@pytest.fixture(scope="module")
def seeded(django_db_setup, django_db_blocker):
    """What `seed_scale --incidents 40` printed; the data stays for the module's tests, then is rolled back."""
    out = io.StringIO()
    with django_db_blocker.unblock():
        outer = transaction.atomic()
        outer.__enter__()
        try:
            call_command("seed_scale", incidents=str(N), seed="7", chunk_size="15", stdout=out)
            yield out.getvalue()
        finally:
            transaction.set_rollback(True)
            outer.__exit__(None, None, None)


def _per_incident(related_name):
    return [row["n"] for row in Incident.objects.annotate(n=Count(related_name, distinct=True)).values("n")]


def test_each_incident_gets_the_mix_of_the_issue(seeded):
    assert Incident.objects.count() == N
    assert set(_per_incident("components")) == {2}
    assert set(_per_incident("atlas_techniques")) == {2}
    assert 1 <= mean(_per_incident("systems")) <= 2
    assert 9 <= mean(_per_incident("checklist")) <= 12
    assert 3 <= mean(_per_incident("timeline")) <= 8
    assert 1 <= mean(_per_incident("obligations")) <= 3
    assert Incident.objects.filter(jurisdictions__isnull=False).distinct().count() == N


def test_the_inventory_is_in_proportion_with_dependency_edges(seeded):
    from inventory.models import AISystem, Component, ComponentDependency, SystemComponent

    systems = AISystem.objects.count()
    assert systems >= 12
    assert Component.objects.count() == 10 * systems
    assert SystemComponent.objects.count() >= 6 * systems
    assert ComponentDependency.objects.count() >= Component.objects.count()


def test_incidents_are_spread_over_time_and_states_with_their_lifecycle_timestamps(seeded):
    statuses = set(Incident.objects.values_list("status", flat=True))
    assert Status.CLOSED in statuses and statuses & {"detected", "triaged", "contained", "investigating",
                                                     "recovering", "review"}
    first, last = (Incident.objects.order_by(f).values_list("detected_at", flat=True).first()
                   for f in ("detected_at", "-detected_at"))
    assert (last - first).days > 365
    for incident in Incident.objects.filter(status=Status.CLOSED):
        assert incident.acknowledged_at and incident.contained_at and incident.recovered_at and incident.closed_at
        assert incident.detected_at <= incident.acknowledged_at <= incident.contained_at <= incident.recovered_at \
            <= incident.closed_at
        assert incident.sla_next_due_at is None
    for incident in Incident.objects.exclude(status__in=[Status.CLOSED, Status.DISMISSED]):
        assert incident.closed_at is None
        assert (incident.sla_next_due_at is None) == (incident.recovered_at is not None)  # a target still open
    assert len(set(Incident.objects.values_list("severity", flat=True))) >= 3
    assert Incident.objects.values("reference").distinct().count() == N


def test_every_history_chain_verifies_with_about_two_dozen_rows_per_incident(seeded):
    reports = auditchain.verify_all()
    assert all(r.ok for r in reports), [r for r in reports if not r.ok]
    incident_rows = sum(r.rows for r in reports if r.model.startswith(("incidents.", "reporting.")))
    assert 18 * N <= incident_rows <= 30 * N
    # Every record has its creation row naming a user.
    history = ChecklistItem.history.model
    assert history.objects.count() == ChecklistItem.objects.count()
    assert not history.objects.filter(history_user__isnull=True).exists()


def test_obligations_are_the_ones_the_clock_computes_for_the_incident(seeded):
    incidents = Incident.objects.prefetch_related("systems", "jurisdictions", "obligations")
    compared = 0
    for incident in incidents:
        computed = {spec.key: spec for spec in incident_specs(incident)}
        stored = {o.key: o for o in incident.obligations.all()}
        assert set(stored) == set(computed), incident.reference
        for key, obligation in stored.items():
            spec = computed[key]
            assert (obligation.regime, obligation.stage, obligation.provision) == (spec.regime, spec.stage,
                                                                                    spec.provision)
            compared += 1
    assert compared >= N
    assert Obligation.objects.filter(status=Obligation.Status.SUBMITTED).exists()
    assert "clock templates" in seeded


def test_the_command_prints_its_phases_and_what_it_created(seeded):
    assert "users and inventory:" in seeded and "incidents:" in seeded and "after_bulk_load:" in seeded
    assert f"{N} incidents" in seeded and "history rows" in seeded and "Done in" in seeded


def test_a_second_run_is_refused_without_append(seeded):
    with pytest.raises(CommandError, match="already holds 40 incidents; give --append"):
        call_command("seed_scale", incidents="5", stdout=io.StringIO())
    assert Incident.objects.count() == N


def test_append_adds_incidents_continuing_references_with_chains_intact(seeded):
    references = set(Incident.objects.values_list("reference", flat=True))
    call_command("seed_scale", incidents="6", seed="8", append=True, stdout=io.StringIO())
    assert Incident.objects.count() == N + 6
    assert len(set(Incident.objects.values_list("reference", flat=True)) - references) == 6
    assert all(r.ok for r in auditchain.verify_all())
    assert TimelineEvent.objects.filter(incident__reference__in=references).count() > 0


@pytest.mark.parametrize("value", ["0", "-5", "abc", "1e3", "", "12.5", "99999999999"])
def test_bad_incident_counts_are_refused_in_one_line_naming_the_option(value):
    before = Incident.objects.count()
    with pytest.raises(CommandError) as refused:
        call_command("seed_scale", incidents=value, append=True, stdout=io.StringIO())
    message = str(refused.value)
    assert message.startswith("--incidents:") and "\n" not in message
    assert Incident.objects.count() == before


def test_a_missing_incident_count_and_a_bad_seed_are_refused():
    with pytest.raises(CommandError, match=r"^--incidents: say how many"):
        call_command("seed_scale", stdout=io.StringIO())
    with pytest.raises(CommandError, match=r"^--seed: give a whole number"):
        call_command("seed_scale", incidents="3", seed="x", stdout=io.StringIO())


@override_settings(PRODUCTION_MODE=True)
def test_production_mode_is_refused():
    before = Incident.objects.count()
    with pytest.raises(CommandError, match="production mode"):
        call_command("seed_scale", incidents="3", append=True, stdout=io.StringIO())
    assert Incident.objects.count() == before


def test_after_bulk_load_runs_what_apps_registered_once_each(monkeypatch):
    monkeypatch.setattr(scale, "_rebuilders", [])
    calls = []

    def rebuild(*, using):
        calls.append(using)

    scale.register_after_bulk_load(rebuild)
    scale.register_after_bulk_load(rebuild)
    assert scale.after_bulk_load() == [f"{__name__}.{rebuild.__qualname__}"]
    assert calls == ["default"]
