"""Serializers of the inventory API: parse and check the shape of a payload, and render rows.

They never save: the views hand `validated_data` to the inventory services, which validate the rules across
fields and rows and write history and the timeline. References in payloads: AI systems by slug, jurisdictions
by ISO code, components, teams and users by id. Uniqueness across several fields is left to the services
(`Meta.validators = []`), so the API and the admin report it with the same message.
"""

from django.contrib.auth import get_user_model
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from inventory import selectors
from inventory.models import (
    HASH_ALGORITHMS,
    AISystem,
    Component,
    ComponentDependency,
    EscalationStep,
    InventoryEvent,
    Jurisdiction,
    PersonalData,
    RaciAssignment,
    SystemComponent,
    Team,
)
from portal.core.api import ModelSerializer

User = get_user_model()

USER_HELP = "Id of a user."
TEAM_HELP = "Id of a team."
SYSTEM_HELP = "Slug of the AI system."
COMPONENT_HELP = "Id of the component."


def system_field(**kwargs):
    kwargs.setdefault("help_text", SYSTEM_HELP)
    return serializers.SlugRelatedField(slug_field="slug", queryset=AISystem.objects.all(), **kwargs)


def user_field(**kwargs):
    kwargs.setdefault("help_text", USER_HELP)
    return serializers.PrimaryKeyRelatedField(queryset=User.objects.all(), **kwargs)


def team_field(**kwargs):
    kwargs.setdefault("help_text", TEAM_HELP)
    return serializers.PrimaryKeyRelatedField(queryset=Team.objects.all(), **kwargs)


def component_field(**kwargs):
    kwargs.setdefault("help_text", COMPONENT_HELP)
    return serializers.PrimaryKeyRelatedField(queryset=Component.objects.all(), **kwargs)


class JurisdictionCodesField(serializers.ListField):
    """Jurisdictions as a list of ISO codes; the service refuses unknown codes, naming them."""

    child = serializers.CharField(max_length=8)

    def to_internal_value(self, data):
        codes = super().to_internal_value(data)
        return list(dict.fromkeys(code.strip().upper() for code in codes))

    def to_representation(self, value):
        return [jurisdiction.code for jurisdiction in value.all()]


# --- reference data and timeline ---------------------------------------------------------------------------

class JurisdictionSerializer(ModelSerializer):
    class Meta:
        model = Jurisdiction
        fields = ["code", "name", "eu_member", "eea_member"]


class InventoryEventSerializer(ModelSerializer):
    system = serializers.SlugRelatedField(slug_field="slug", read_only=True, help_text=SYSTEM_HELP)
    actor_username = serializers.CharField(source="actor.username", read_only=True, default=None,
                                           allow_null=True)

    class Meta:
        model = InventoryEvent
        fields = ["id", "kind", "at", "summary", "system", "component", "actor", "actor_username", "source",
                  "payload"]
        read_only_fields = fields


# --- teams ------------------------------------------------------------------------------------------------

class TeamSerializer(ModelSerializer):
    members = user_field(many=True, required=False)
    system_count = serializers.IntegerField(read_only=True, help_text="AI systems the team owns.")
    retired = serializers.BooleanField(
        required=False,
        help_text="A retired team keeps its records and takes no new assignments (owner, RACI, escalation). PATCH "
                  "true to retire a team that cannot be deleted, false to reinstate it.",
    )

    class Meta:
        model = Team
        fields = ["id", "name", "email", "members", "system_count", "retired", "retired_at"]
        read_only_fields = ["retired_at"]
        validators = []

    def validate_retired(self, value):
        if value and self.instance is None:
            raise serializers.ValidationError("A new team is active; retire it once it exists.")
        return value


# --- AI systems -------------------------------------------------------------------------------------------

class AISystemSerializer(ModelSerializer):
    jurisdictions = JurisdictionCodesField(
        required=False, help_text="ISO codes of the jurisdictions where the system is used (see /jurisdictions/)."
    )
    personal_data_categories = serializers.ListField(
        child=serializers.ChoiceField(choices=PersonalData.choices), required=False,
        help_text="Categories of personal data the system processes.",
    )
    owner_team = team_field(required=False, allow_null=True)
    owner_team_name = serializers.CharField(source="owner_team.name", read_only=True, default=None, allow_null=True)
    risk_assessed_by = user_field(required=False, allow_null=True)
    accountable_owner = serializers.CharField(
        read_only=True, allow_null=True, help_text="Username or team name Accountable for owning the system."
    )
    component_count = serializers.IntegerField(read_only=True)
    readiness_gap_count = serializers.SerializerMethodField(
        help_text="Number of evidence-readiness gaps (retrieve a system for the gaps themselves)."
    )

    class Meta:
        model = AISystem
        fields = [
            "slug", "name", "purpose", "deployment_kind", "lifecycle", "operator_role",
            "risk_class", "annex_iii_area", "annex_i_product", "risk_rationale", "risk_assessed_by",
            "risk_assessed_on", "jurisdictions", "personal_data_categories", "decisions_influenced",
            "affected_populations", "owner_team", "owner_team_name", "accountable_owner",
            "inference_logging", "log_retention_days", "baseline_telemetry_defined", "kill_switch_procedure",
            "rollback_procedure", "component_count", "readiness_gap_count", "created_at", "updated_at",
        ]
        read_only_fields = ["created_at", "updated_at"]
        validators = []

    @extend_schema_field(OpenApiTypes.INT)
    def get_readiness_gap_count(self, system) -> int:
        return selectors.readiness_gap_count(system)


class SystemComponentBriefSerializer(ModelSerializer):
    component_label = serializers.CharField(source="component.__str__", read_only=True)

    class Meta:
        model = SystemComponent
        fields = ["id", "component", "component_label", "usage", "is_active"]
        read_only_fields = fields


class RaciBriefSerializer(ModelSerializer):
    assignee = serializers.CharField(source="assignee_label", read_only=True)

    class Meta:
        model = RaciAssignment
        fields = ["id", "activity", "role", "user", "team", "assignee"]
        read_only_fields = fields


class EscalationBriefSerializer(ModelSerializer):
    assignee = serializers.CharField(source="assignee_label", read_only=True)

    class Meta:
        model = EscalationStep
        fields = ["id", "severity", "order", "acknowledge_within_minutes", "user", "team", "assignee"]
        read_only_fields = fields


class AISystemDetailSerializer(AISystemSerializer):
    """One system with its evidence-readiness gaps as sentences, its components, RACI and escalation path."""

    readiness_gaps = serializers.SerializerMethodField()
    components = SystemComponentBriefSerializer(source="system_components", many=True, read_only=True)
    raci = RaciBriefSerializer(many=True, read_only=True)
    escalation_steps = EscalationBriefSerializer(many=True, read_only=True)

    class Meta(AISystemSerializer.Meta):
        fields = [*AISystemSerializer.Meta.fields, "readiness_gaps", "components", "raci", "escalation_steps"]

    @extend_schema_field(serializers.ListField(child=serializers.CharField()))
    def get_readiness_gaps(self, system) -> list[str]:
        return selectors.system_readiness_gaps(system)


class BlastRadiusSystemSerializer(ModelSerializer):
    """A system reached by a component through the AIBOM: who to call and how much is at stake."""

    owner_team_name = serializers.CharField(source="owner_team.name", read_only=True, default=None, allow_null=True)
    accountable_owner = serializers.CharField(
        read_only=True, allow_null=True, help_text="Username or team name Accountable for owning the system."
    )

    class Meta:
        model = AISystem
        fields = ["slug", "name", "lifecycle", "risk_class", "owner_team", "owner_team_name", "accountable_owner"]
        read_only_fields = fields


# --- components and the dependency graph ----------------------------------------------------------------------

class HashSerializer(serializers.Serializer):
    """One CycloneDX hash of the artefact."""

    alg = serializers.ChoiceField(choices=list(HASH_ALGORITHMS))
    content = serializers.RegexField(r"^[0-9a-fA-F]+$", help_text="Hexadecimal digest.")


class ComponentSerializer(ModelSerializer):
    hashes = HashSerializer(many=True, required=False)
    derived_from = component_field(required=False, allow_null=True)
    system_count = serializers.IntegerField(read_only=True, help_text="AI systems that use the component.")

    class Meta:
        model = Component
        fields = [
            "id", "kind", "name", "group", "version", "description", "supplier", "license", "purl",
            "external_url", "hashes", "bom_ref", "derived_from", "known_good", "disableable", "disable_procedure",
            "status", "system_count", "created_at", "updated_at",
        ]
        read_only_fields = ["created_at", "updated_at"]
        validators = []

    def validate_hashes(self, value):
        return [dict(item) for item in value]


class SystemComponentSerializer(ModelSerializer):
    system = system_field()
    component = component_field()
    component_label = serializers.CharField(source="component.__str__", read_only=True)

    class Meta:
        model = SystemComponent
        fields = ["id", "system", "component", "component_label", "usage", "is_active"]
        validators = []

    def validate_system(self, value):
        return _unchanged_on_update(self, "system", value, "Detach the component and attach it to the other system.")

    def validate_component(self, value):
        return _unchanged_on_update(self, "component", value, "Detach this component and attach the other one.")


class ComponentDependencySerializer(ModelSerializer):
    component = component_field(help_text="Id of the component that depends on `depends_on`.")
    depends_on = component_field(help_text="Id of the component it depends on.")

    class Meta:
        model = ComponentDependency
        fields = ["id", "component", "depends_on", "relation"]
        validators = []

    def validate_component(self, value):
        return _unchanged_on_update(self, "component", value, "Remove this dependency and add the new one.")

    def validate_depends_on(self, value):
        return _unchanged_on_update(self, "depends_on", value, "Remove this dependency and add the new one.")


def _unchanged_on_update(serializer, field, value, message):
    """An edge or link keeps its ends: changing one on update is refused, naming the field."""
    if serializer.instance is not None and getattr(serializer.instance, f"{field}_id") != value.pk:
        raise serializers.ValidationError(message)
    return value


# --- RACI and escalation ---------------------------------------------------------------------------------------

class AssigneeSerializer(ModelSerializer):
    """A user or a team, exactly one of them (the model names `user` when both or neither are given)."""

    system = system_field()
    user = user_field(required=False, allow_null=True)
    team = team_field(required=False, allow_null=True)
    assignee = serializers.CharField(source="assignee_label", read_only=True, help_text="Username or team name.")

    def validate(self, attrs):
        user = attrs.get("user", getattr(self.instance, "user", None))
        team = attrs.get("team", getattr(self.instance, "team", None))
        if bool(user) == bool(team):
            raise serializers.ValidationError({"user": "Name exactly one assignee: a user or a team."})
        return attrs


class RaciAssignmentSerializer(AssigneeSerializer):
    class Meta:
        model = RaciAssignment
        fields = ["id", "system", "activity", "role", "user", "team", "assignee"]
        validators = []


class EscalationStepSerializer(AssigneeSerializer):
    class Meta:
        model = EscalationStep
        fields = ["id", "system", "severity", "order", "acknowledge_within_minutes", "user", "team", "assignee"]
        validators = []
