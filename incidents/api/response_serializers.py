"""Serializers of what responders record on an incident: checklist, containment, evidence and its chain of
custody, recovery validation, post-incident review and its action items.

They parse payloads and render rows; they never save. Who performed, collected, signed or reviewed is always the
signed-in user (the services take it from `actor`), so those fields are read only. AI systems are named by slug,
components and users by id.
"""

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from incidents.models import (
    ActionItem,
    ChecklistItem,
    ContainmentAction,
    CustodyEntry,
    Evidence,
    Outcome,
    PostIncidentReview,
    RecoveryValidation,
)
from inventory.api.serializers import component_field, system_field, user_field
from portal.core.api import ModelSerializer
from portal.core.api_inputs import MomentField


def enum_schema(choices) -> dict:
    return {"type": "string", "enum": list(choices.values),
            "description": "; ".join(f"`{value}`: {label}" for value, label in choices.choices)}


@extend_schema_field(enum_schema(Outcome), component_name="RecoveryOutcomeEnum")
class OutcomeField(serializers.ChoiceField):
    """The outcome of one recovery test (one named enum in the schema for the four tests)."""

    def __init__(self, **kwargs):
        super().__init__(choices=Outcome.choices, **kwargs)


def username_field(source):
    return serializers.CharField(source=f"{source}.username", read_only=True, default=None, allow_null=True)


# --- checklist ---------------------------------------------------------------------------------------------------

class ChecklistItemSerializer(ModelSerializer):
    done_by_username = username_field("done_by")

    class Meta:
        model = ChecklistItem
        fields = ["id", "order", "phase", "title", "guidance", "csf_category", "atlas_technique", "runbook_version",
                  "done_at", "done_by", "done_by_username", "notes"]
        read_only_fields = fields


class ChecklistCompleteSerializer(serializers.Serializer):
    notes = serializers.CharField(required=False, allow_blank=True, default="",
                                  help_text="What was done, or why the step does not apply.")


# --- containment ------------------------------------------------------------------------------------------------

class ContainmentActionSerializer(ModelSerializer):
    target_system = system_field(help_text="Slug of the AI system the action is taken on.")
    target_component = component_field(required=False, allow_null=True,
                                       help_text="Id of the component acted on (required for key revocation, tool "
                                                 "disabling, vector-store isolation and rollback).")
    rollback_to = component_field(required=False, allow_null=True,
                                  help_text="Id of the known-good component a rollback switches to.")
    performed_at = MomentField(required=False, help_text="When it was done (default: now).")
    performed_by_username = username_field("performed_by")
    reverted_by_username = username_field("reverted_by")
    is_override = serializers.BooleanField(read_only=True, help_text="Taken under an emergency override.")

    class Meta:
        model = ContainmentAction
        fields = ["id", "kind", "target_system", "target_component", "rollback_to", "description", "performed_by",
                  "performed_by_username", "performed_at", "authority", "override_reason", "is_override", "outcome",
                  "reverted_at", "reverted_by", "reverted_by_username", "revert_reason"]
        read_only_fields = ["performed_by", "authority", "reverted_at", "reverted_by", "revert_reason"]
        extra_kwargs = {"override_reason": {"help_text": "Emergency override: why you act without the RACI "
                                                         "authority for this action on the system."}}


class RevertSerializer(serializers.Serializer):
    reason = serializers.CharField(help_text="Why the containment action is reverted.")


# --- evidence and custody ---------------------------------------------------------------------------------------

class CustodyEntrySerializer(ModelSerializer):
    actor_username = username_field("actor")
    at = MomentField(required=False, help_text="When it happened (default: now).")

    class Meta:
        model = CustodyEntry
        fields = ["id", "action", "actor", "actor_username", "at", "to_party", "notes"]
        read_only_fields = ["actor"]
        extra_kwargs = {"action": {"help_text": "transferred, accessed or released (collection and verification "
                                                "are recorded by the portal)."}}


class EvidenceSerializer(ModelSerializer):
    file = serializers.FileField(write_only=True, required=False,
                                 help_text="The artefact (multipart upload); its SHA-256, size and type are "
                                           "computed by the portal.")
    has_file = serializers.SerializerMethodField()
    collected_at = MomentField(required=False, help_text="When it was collected (default: now).")
    collected_by_username = username_field("collected_by")
    custody = CustodyEntrySerializer(many=True, read_only=True)

    class Meta:
        model = Evidence
        fields = ["id", "title", "description", "file", "has_file", "reference", "original_name", "content_type",
                  "size", "sha256", "collected_by", "collected_by_username", "collected_at", "custody"]
        read_only_fields = ["original_name", "content_type", "size", "sha256", "collected_by"]

    def get_has_file(self, evidence) -> bool:
        return bool(evidence.file)


class EvidenceVerificationSerializer(serializers.Serializer):
    verified = serializers.BooleanField(help_text="The stored file still has the recorded SHA-256.")
    evidence = EvidenceSerializer()


# --- recovery validation ----------------------------------------------------------------------------------------

class RecoveryValidationSerializer(ModelSerializer):
    functional = OutcomeField(required=False)
    stress = OutcomeField(required=False)
    bias = OutcomeField(required=False)
    security = OutcomeField(required=False)
    engineering_signoff_by_username = username_field("engineering_signoff_by")
    compliance_signoff_by_username = username_field("compliance_signoff_by")
    all_tests_passed = serializers.BooleanField(read_only=True)
    is_signed = serializers.BooleanField(read_only=True, help_text="Signed off by two different people.")

    class Meta:
        model = RecoveryValidation
        fields = ["id", "functional", "stress", "bias", "security", "notes", "all_tests_passed", "is_signed",
                  "engineering_signoff_by", "engineering_signoff_by_username", "engineering_signoff_at",
                  "compliance_signoff_by", "compliance_signoff_by_username", "compliance_signoff_at", "created_at",
                  "version"]
        read_only_fields = ["engineering_signoff_by", "engineering_signoff_at", "compliance_signoff_by",
                            "compliance_signoff_at", "created_at", "version"]
        extra_kwargs = {"version": {"help_text": (
            "Bumped by every change (outcomes, notes, sign-offs). A sign-off sends the version it was based on; "
            "so may an update.")}}


class SignoffSerializer(serializers.Serializer):
    as_role = serializers.ChoiceField(
        choices=[("engineering", "Engineering lead (incident responder)"),
                 ("compliance", "Compliance lead (compliance officer)")],
        help_text="Sign off as engineering lead or as compliance lead (two different people).",
    )
    version = serializers.IntegerField(
        min_value=1, required=False,
        help_text="The `version` of the validation you read (or send `If-Match: \"<version>\"`). Required: without "
                  "it 428; when the validation changed since, 409 naming who changed what and when.")


# --- post-incident review ---------------------------------------------------------------------------------------

class ActionItemSerializer(ModelSerializer):
    owner = user_field(help_text="Id of the user who owns the action item.")
    owner_username = username_field("owner")

    class Meta:
        model = ActionItem
        fields = ["id", "description", "owner", "owner_username", "due_on", "done_at"]
        read_only_fields = ["done_at"]


class PostIncidentReviewSerializer(ModelSerializer):
    reviewed_by_username = username_field("reviewed_by")
    action_items = ActionItemSerializer(many=True, read_only=True)

    class Meta:
        model = PostIncidentReview
        fields = ["root_cause", "contributing_factors", "what_worked", "lessons", "runbook_updated",
                  "regression_case_added", "reviewed_by", "reviewed_by_username", "reviewed_at", "action_items"]
        read_only_fields = ["reviewed_by", "reviewed_at"]
