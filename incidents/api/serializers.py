"""Serializers of the incident API: parse and check the shape of a payload, and render incidents.

They never save: the views hand `validated_data` to `services.incident_open` / `incident_update`, which check the
rules (timestamp order, jurisdiction codes, ...) and write history and the timeline. References in payloads: AI
systems by slug, components and users by id, ATLAS techniques and OWASP risks by their ids (`AML.T0051`,
`LLM01:2025`), jurisdictions by ISO code. The status changes only through `.../transition/`.
"""

from django.conf import settings
from django.utils import timezone
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from incidents import blast, sla
from incidents.api.preconditions import VERSION_HELP
from incidents.api.response_serializers import (
    ChecklistItemSerializer,
    ContainmentActionSerializer,
    EvidenceSerializer,
    PostIncidentReviewSerializer,
    RecoveryValidationSerializer,
    enum_schema,
)
from incidents.lifecycle import Status, allowed_targets
from incidents.metrics import incident_metrics
from incidents.models import AtlasTechnique, Harm, Incident, OwaspRisk, Party, TimelineEvent
from inventory.api.serializers import JurisdictionCodesField, component_field, system_field, user_field
from portal.core.api import ModelSerializer
from portal.core.api_inputs import MomentField


@extend_schema_field(enum_schema(Status), component_name="IncidentStatusEnum")
class StatusField(serializers.ChoiceField):
    """A lifecycle status (one named enum in the schema for status, `to` and allowed transitions)."""

    def __init__(self, **kwargs):
        super().__init__(choices=Status.choices, **kwargs)


SLA_STATES = [("breached", "Breached"), ("due_soon", "Due soon"), ("on_track", "On track"), ("met", "Met")]


class TimelineEventSerializer(ModelSerializer):
    actor_username = serializers.CharField(source="actor.username", read_only=True, default=None, allow_null=True)

    class Meta:
        model = TimelineEvent
        fields = ["id", "kind", "at", "actor", "actor_username", "source", "summary", "payload", "flagged"]
        read_only_fields = fields


class IncidentSerializer(ModelSerializer):
    """An incident as lists show it; the writable fields are those of an incident's first report."""

    systems = system_field(many=True, required=False, help_text="Slugs of the affected AI systems.")
    commander = user_field(required=False, allow_null=True, help_text="Id of the incident commander.")
    commander_username = serializers.CharField(source="commander.username", read_only=True, default=None,
                                               allow_null=True)
    sla_state = serializers.SerializerMethodField(
        help_text="The state of the earliest unmet SLA target: breached, due_soon, on_track, met (all met); "
                  "null once closed or dismissed.")
    status = StatusField(read_only=True)
    version = serializers.IntegerField(min_value=1, required=False, help_text=VERSION_HELP)

    class Meta:
        model = Incident
        fields = [
            "reference", "title", "status", "severity", "track", "incident_class", "intent", "detection_source",
            "systems", "commander", "commander_username", "occurred_at", "detected_at", "aware_at",
            "acknowledged_at", "contained_at", "recovered_at", "closed_at", "sla_state", "sla_next_due_at",
            "version", "created_at", "updated_at",
        ]
        read_only_fields = ["acknowledged_at", "contained_at", "recovered_at", "closed_at", "sla_next_due_at",
                            "created_at", "updated_at"]
        extra_kwargs = {"detected_at": {"required": False, "help_text": "When it was detected (default: now)."}}
        validators = []

    @extend_schema_field(serializers.ChoiceField(choices=SLA_STATES, allow_null=True))
    def get_sla_state(self, incident) -> str | None:
        return getattr(incident, "sla_state", None) or None


class SlaTargetSerializer(serializers.Serializer):
    target = serializers.ChoiceField(choices=[(t, t) for t in sla.TARGETS])
    due_at = MomentField(allow_null=True)
    met_at = MomentField(allow_null=True, help_text="When the target was met (null while unmet).")
    state = serializers.ChoiceField(choices=sla.SlaState.choices, allow_null=True,
                                    help_text="met (in time), missed (met late), on_track, due_soon or breached; "
                                              "null for an unmet target of a closed or dismissed incident.")


class MetricsSerializer(serializers.Serializer):
    """Response times of this incident in seconds (null while a timestamp is missing)."""

    mttd = serializers.FloatField(allow_null=True, help_text="Detected minus occurred, in seconds.")
    mtta = serializers.FloatField(allow_null=True, help_text="Acknowledged minus detected, in seconds.")
    mttc = serializers.FloatField(allow_null=True, help_text="Contained minus detected, in seconds.")
    mttr = serializers.FloatField(allow_null=True, help_text="Recovered minus detected, in seconds.")


def sla_targets(incident, now=None) -> list[dict]:
    now = now or timezone.now()
    rows = []
    for target in sla.TARGETS:
        due_at, met_at = getattr(incident, sla.DUE_FIELD[target]), getattr(incident, sla.MET_BY[target])
        state = None
        if incident.is_open or met_at is not None:
            state = sla.target_state(due_at=due_at, met_at=met_at, detected_at=incident.detected_at, now=now,
                                     due_soon_share=settings.INCIDENT_SLA_DUE_SOON_SHARE)
        rows.append({"target": target, "due_at": due_at, "met_at": met_at, "state": state})
    return rows


class BlastFigureSerializer(serializers.Serializer):
    value = serializers.IntegerField(allow_null=True, help_text="The figure in force (null: not known).")
    source = serializers.ChoiceField(
        choices=[(blast.LEDGER, "Counted in the remediation ledger"), (blast.ENTERED, "Entered by hand")],
        allow_null=True, help_text="ledger: the count of the incident's affected records of this kind, which "
                                   "replaces any hand-entered figure; entered: the hand-entered figure; null: none.")
    entered = serializers.IntegerField(allow_null=True, help_text="The hand-entered figure (the writable field of "
                                                                  "the same name), overridden when source is ledger.")


class BlastFiguresSerializer(serializers.Serializer):
    users_affected = BlastFigureSerializer(help_text="People affected (the ledger's person records).")
    decisions_affected = BlastFigureSerializer(help_text="The ledger's decision records.")
    transactions_affected = BlastFigureSerializer(help_text="The ledger's transaction records.")
    accounts_affected = BlastFigureSerializer(help_text="The ledger's account records (no hand-entered figure).")


def blast_figures_data(incident) -> dict:
    shown = {figure.name: figure for figure in blast.blast_figures(incident)}
    empty = {"value": None, "source": None, "entered": None}
    return {name: ({"value": f.value, "source": f.source, "entered": f.entered} if (f := shown.get(name)) else empty)
            for name, _, _ in blast.FIGURES}


class IncidentDetailSerializer(IncidentSerializer):
    """One incident with all its facts, SLA targets, response times, timeline and response records."""

    components = component_field(many=True, required=False, help_text="Ids of the affected components.")
    atlas_techniques = serializers.PrimaryKeyRelatedField(
        many=True, required=False, queryset=AtlasTechnique.objects.all(),
        help_text="MITRE ATLAS technique ids, e.g. AML.T0051.")
    owasp_risks = serializers.PrimaryKeyRelatedField(
        many=True, required=False, queryset=OwaspRisk.objects.all(),
        help_text="OWASP Top 10 for LLM Applications ids, e.g. LLM01:2025.")
    jurisdictions = JurisdictionCodesField(required=False, help_text="ISO codes of the jurisdictions affected.")
    harms = serializers.ListField(child=serializers.ChoiceField(choices=Harm.choices), required=False)
    responsible_parties = serializers.ListField(child=serializers.ChoiceField(choices=Party.choices),
                                                required=False)
    sla = serializers.SerializerMethodField(help_text="The acknowledge, contain and resolve targets.")
    metrics = serializers.SerializerMethodField()
    allowed_transitions = serializers.SerializerMethodField(help_text="Statuses `.../transition/` may move to.")
    blast_figures = serializers.SerializerMethodField(help_text=(
        "The users, decisions, transactions and accounts affected as the incident's page and documents show them: "
        "where the remediation ledger lists records of a kind, their count (source `ledger`), which overrides the "
        "hand-entered `users_affected`, `decisions_affected` or `transactions_affected`; else the hand-entered "
        "figure."))
    timeline = TimelineEventSerializer(many=True, read_only=True)
    checklist = ChecklistItemSerializer(many=True, read_only=True)
    containment_actions = ContainmentActionSerializer(many=True, read_only=True)
    evidence = EvidenceSerializer(many=True, read_only=True)
    recovery_validations = RecoveryValidationSerializer(many=True, read_only=True)
    review = PostIncidentReviewSerializer(read_only=True, allow_null=True)

    class Meta(IncidentSerializer.Meta):
        fields = [
            *IncidentSerializer.Meta.fields, "summary", "components", "atlas_techniques", "owasp_risks",
            "source_reference", "dedup_key", "acknowledge_due_at", "contain_due_at", "resolve_due_at",
            "users_affected", "decisions_affected", "transactions_affected", "exposure_started_at",
            "exposure_ended_at", "scope", "personal_data_involved", "data_subjects_affected", "jurisdictions",
            "harms", "deaths", "serious_injuries", "financial_loss", "financial_loss_currency",
            "responsible_parties", "responsibility_notes", "complete_inference_logs", "blast_figures",
            "allowed_transitions", "sla",
            "metrics", "timeline", "checklist", "containment_actions", "evidence", "recovery_validations", "review",
        ]
        read_only_fields = [*IncidentSerializer.Meta.read_only_fields, "acknowledge_due_at", "contain_due_at",
                            "resolve_due_at"]

    @extend_schema_field(BlastFiguresSerializer)
    def get_blast_figures(self, incident):
        return blast_figures_data(incident)

    @extend_schema_field(SlaTargetSerializer(many=True))
    def get_sla(self, incident):
        return SlaTargetSerializer(sla_targets(incident), many=True).data

    @extend_schema_field(MetricsSerializer)
    def get_metrics(self, incident):
        return {name: value.total_seconds() if value is not None else None
                for name, value in incident_metrics(incident).items()}

    @extend_schema_field(serializers.ListField(child=StatusField()))
    def get_allowed_transitions(self, incident) -> list[str]:
        return allowed_targets(incident.status)


class TransitionSerializer(serializers.Serializer):
    to = StatusField(help_text="The status to move to.")
    note = serializers.CharField(required=False, allow_blank=True, default="",
                                 help_text="Why (required to dismiss: why this is not an incident).")
    at = MomentField(required=False, help_text="When it happened, if not now (stamps the matching "
                                               "timestamp, e.g. acknowledged_at, if still unset).")
    version = serializers.IntegerField(min_value=1, required=False, help_text=VERSION_HELP)


class NoteSerializer(serializers.Serializer):
    text = serializers.CharField(help_text="The note, appended to the timeline.")
