"""Reads of the inventory: querysets with their joins, the blast radius and the evidence-readiness gaps."""

from typing import Literal

from django.db.models import (
    CharField,
    Count,
    Exists,
    IntegerField,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
    Value,
)
from django.db.models.expressions import RawSQL
from django.db.models.functions import Coalesce, NullIf

from inventory.models import (
    CONTAINMENT_ACTIVITIES,
    Activity,
    AISystem,
    Component,
    ComponentDependency,
    ComponentKind,
    EscalationStep,
    InventoryEvent,
    RaciAssignment,
    RaciRole,
    SystemComponent,
    Team,
)


def _reach_sql(direction: Literal["dependents", "dependencies"], *,
               start: Literal["component", "system"] = "component", derived_from: bool = False,
               systems: bool = False) -> str:
    """A recursive CTE over the component graph; the only parameter is the id of the start.

    direction "dependents": every component that depends, directly or not, on the start (who is hit);
    direction "dependencies": every component the start depends on, directly or not (what it uses).
    start "component": the start is one component, included in the result;
    start "system": the start is an AI system, whose components (SystemComponent) are the first step.
    derived_from: also follow Component.derived_from, as an edge from a derived component to its origin.
    systems: select the ids of the AI systems that use a reached component (SystemComponent), not the components:
    joined inside the query, so the reached set is neither deduplicated again nor hashed for an IN.
    UNION (not UNION ALL) makes the recursion stop even on a cyclic graph.
    """
    dependency = ComponentDependency._meta.db_table
    if derived_from:
        edges = (
            f"(SELECT component_id, depends_on_id FROM {dependency}"  # noqa: S608  # nosec B608  # the models' table names, not input
            f" UNION ALL SELECT id, derived_from_id FROM {Component._meta.db_table}"
            f" WHERE derived_from_id IS NOT NULL)"
        )
    else:
        edges = dependency
    if start == "system":
        link = SystemComponent._meta.db_table
        seed = f"SELECT component_id FROM {link} WHERE system_id = CAST(%s AS BIGINT)"  # noqa: S608  # nosec B608  # the model's table, not input
    else:
        seed = "SELECT CAST(%s AS BIGINT)"
    step_from, step_to = ("depends_on_id", "component_id") if direction == "dependents" else (
        "component_id", "depends_on_id")
    if systems:
        select = f"SELECT u.system_id FROM {SystemComponent._meta.db_table} u JOIN reach r ON u.component_id = r.id"  # noqa: S608  # nosec B608  # the model's table, not input
    else:
        select = "SELECT id FROM reach"
    return (
        f"WITH RECURSIVE reach(id) AS ("  # noqa: S608  # nosec B608  # table and column names are the models', not input
        f" {seed}"
        f" UNION SELECT d.{step_to} FROM {edges} d JOIN reach r ON d.{step_from} = r.id"
        f") {select}"
    )


def accountable_label(activity: str, system_ref="pk"):
    """An expression: the display name of the Accountable for `activity` on the outer system."""
    accountable = RaciAssignment.objects.filter(
        system=OuterRef(system_ref), activity=activity, role=RaciRole.ACCOUNTABLE
    ).order_by()
    user_name = Subquery(accountable.values("user__username")[:1], output_field=CharField())
    team_name = Subquery(accountable.values("team__name")[:1], output_field=CharField())
    return Coalesce(NullIf(user_name, Value("")), team_name, output_field=CharField())


def systems_affected_by_component(component: Component) -> QuerySet[AISystem]:
    """Every AI system that reaches `component` through SystemComponent and ComponentDependency edges.

    One SQL query (a recursive CTE inside the filter, the owner as a subquery) on SQLite and PostgreSQL alike.
    Each system carries `accountable_owner` (the Accountable for owning it) and `owner_team_name`.
    """
    uses = RawSQL(_reach_sql("dependents", systems=True), [component.pk])  # noqa: S611  # nosec B611  # fixed SQL, the id is a parameter
    return (
        AISystem.objects.filter(pk__in=uses)
        .select_related("owner_team")
        .annotate(accountable_owner=accountable_label(Activity.OWN_SYSTEM))
        .order_by("name")
    )


def component_depends_on(component: Component, target: Component) -> bool:
    """Does `component` depend, directly or transitively, on `target`? One query."""
    reach = RawSQL(_reach_sql("dependencies"), [component.pk])  # noqa: S611  # nosec B611  # fixed SQL, the id is a parameter
    return Component.objects.filter(pk=target.pk).filter(pk__in=reach).exists()


def _reached_by_system(system: AISystem) -> RawSQL:
    return RawSQL(  # noqa: S611  # nosec B611  # fixed SQL, the system id is a parameter
        _reach_sql("dependencies", start="system", derived_from=True), [system.pk]
    )


def components_reached_by_system(system: AISystem) -> QuerySet[Component]:
    """Every component an AI system reaches: its own components, then their dependencies and the components they
    are derived from, transitively. Ordered by identity (kind, group, name, version). One query (a recursive CTE).
    """
    return Component.objects.filter(pk__in=_reached_by_system(system)).order_by(
        "kind", "group", "name", "version", "pk"
    )


def dependencies_reached_by_system(system: AISystem) -> QuerySet[ComponentDependency]:
    """The dependency edges among the components an AI system reaches (see `components_reached_by_system`): those
    leaving a reached component, whose target is then reached too. Unordered. One query.
    """
    return ComponentDependency.objects.filter(component_id__in=_reached_by_system(system)).order_by()


def _missing_containment_accountables():
    covered = (
        RaciAssignment.objects.filter(
            system=OuterRef("pk"), role=RaciRole.ACCOUNTABLE, activity__in=CONTAINMENT_ACTIVITIES
        )
        .order_by()
        .values("system")
        .annotate(n=Count("activity", distinct=True))
        .values("n")
    )
    return Value(len(CONTAINMENT_ACTIVITIES)) - Coalesce(Subquery(covered, output_field=IntegerField()), 0)


def _model_without_rollback_target():
    """An active model of the system that has no known-good version to roll back to.

    A rollback target is a known-good model other than the active one: the model it was derived from, or a
    known-good model version attached to the same system (e.g. a standby link).
    """
    other_known_good = SystemComponent.objects.filter(
        system=OuterRef("system"),
        component__kind=ComponentKind.MODEL,
        component__known_good=True,
    ).exclude(component=OuterRef("component"))
    return Exists(
        SystemComponent.objects.filter(system=OuterRef("pk"), is_active=True, component__kind=ComponentKind.MODEL)
        .exclude(component__derived_from__known_good=True)
        .exclude(Exists(other_known_good))
    )


def system_list() -> QuerySet[AISystem]:
    """AI systems with everything list pages show: owner team, counts and evidence-readiness flags."""
    return (
        AISystem.objects.select_related("owner_team")
        .annotate(
            component_count=Count("system_components", distinct=True),
            containment_gaps=_missing_containment_accountables(),
            model_without_rollback=_model_without_rollback_target(),
            accountable_owner=accountable_label(Activity.OWN_SYSTEM),
        )
        .prefetch_related("jurisdictions")
        .order_by("name", "slug")
    )


def system_readiness_gaps(system: AISystem) -> list[str]:
    """The evidence-readiness gaps of one system, as sentences. Uses `system_list()` annotations if present."""
    if not hasattr(system, "containment_gaps"):
        system = system_list().get(pk=system.pk)
    gaps = []
    if not system.risk_class:
        gaps.append("Risk class not yet assessed.")
    if not system.inference_logging:
        gaps.append("No inference logging: inputs and outputs of an incident cannot be reconstructed.")
    if not system.kill_switch_procedure.strip():
        gaps.append("No kill-switch procedure written.")
    if not system.rollback_procedure.strip():
        gaps.append("No rollback procedure written.")
    if system.containment_gaps:
        covered = set(
            RaciAssignment.objects.filter(
                system=system, role=RaciRole.ACCOUNTABLE, activity__in=CONTAINMENT_ACTIVITIES
            ).values_list("activity", flat=True)
        )
        missing = [Activity(a).label for a in CONTAINMENT_ACTIVITIES if a not in covered]
        gaps.append(f"No Accountable for containment: {', '.join(missing)}.")
    if system.model_without_rollback:
        gaps.append("No known-good rollback version for at least one active model.")
    return gaps


def readiness_gap_count(system: AISystem) -> int:
    """Count of gaps from `system_list()` annotations alone (no query)."""
    return sum(
        (
            not system.risk_class,
            not system.inference_logging,
            not system.kill_switch_procedure.strip(),
            not system.rollback_procedure.strip(),
            bool(system.containment_gaps),
            bool(system.model_without_rollback),
        )
    )


def systems_with_readiness_gaps(queryset=None) -> QuerySet[AISystem]:
    qs = queryset if queryset is not None else system_list()
    return qs.filter(
        Q(risk_class="")
        | Q(inference_logging=False)
        | Q(kill_switch_procedure="")
        | Q(rollback_procedure="")
        | Q(containment_gaps__gt=0)
        | Q(model_without_rollback=True)
    )


def component_list() -> QuerySet[Component]:
    return Component.objects.select_related("derived_from").annotate(
        system_count=Count("system_uses", distinct=True)
    )


def system_component_list() -> QuerySet[SystemComponent]:
    return SystemComponent.objects.select_related("system", "component")


def dependency_list() -> QuerySet[ComponentDependency]:
    return ComponentDependency.objects.select_related("component", "depends_on")


def raci_list() -> QuerySet[RaciAssignment]:
    return RaciAssignment.objects.select_related("system", "user", "team")


def escalation_list() -> QuerySet[EscalationStep]:
    return EscalationStep.objects.select_related("system", "user", "team")


def systems_team_answers_for(team: Team) -> QuerySet[AISystem]:
    """The AI systems a team answers for: as their owner team, in their RACI or on their escalation path."""
    return AISystem.objects.filter(
        Q(owner_team=team)
        | Q(pk__in=RaciAssignment.objects.filter(team=team).values("system_id"))
        | Q(pk__in=EscalationStep.objects.filter(team=team).values("system_id"))
    )


def team_list() -> QuerySet[Team]:
    return Team.objects.prefetch_related("members").annotate(system_count=Count("systems", distinct=True))


def system_detail(slug: str) -> AISystem:
    return system_list().prefetch_related(
        Prefetch("system_components", queryset=system_component_list()),
        Prefetch("raci", queryset=raci_list()),
        Prefetch("escalation_steps", queryset=escalation_list()),
    ).get(slug=slug)


def event_list() -> QuerySet[InventoryEvent]:
    return InventoryEvent.objects.select_related("system", "component", "actor")
