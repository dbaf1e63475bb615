"""Serializers of the remediation ledger's API: they check the shape of a payload and render rows; they never save.

The views hand the values to `remediation.services`, which check the rules (roles, states, versions) and write
history and the timeline. Incidents are named by their reference, AI systems by their slug, users, components,
imports and records by id. A record's `subject_ref` is confidential (`portal.core.confidential`): it is only part
of the representation for the roles cleared for it (compliance officers, incident responders, legal reviewers); for
anyone else the field is absent, not empty.
"""

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from incidents.api.response_serializers import enum_schema, username_field
from portal.core.api import ConfidentialFieldsSerializer, ModelSerializer
from portal.core.api_inputs import MomentField
from remediation.models import AffectedRecord, ContactChannel, Kind
from remediation.selectors import MAX_ID
from remediation.services.bulk import ACTIONS, MAX_NAMED, MAX_NOTE
from remediation.states import State

REFERENCE_HELP = "Reference of the incident, e.g. AIIR-2026-0001."
VERSION_HELP = ("The `version` of the record you read (or send it as `If-Match: \"<version>\"`). Required: without "
                "it the change is refused with 428; a stale one gets 409 naming who changed the record and when.")


@extend_schema_field(enum_schema(State), component_name="AffectedRecordStateEnum")
class StateField(serializers.ChoiceField):
    def __init__(self, **kwargs):
        super().__init__(choices=State.choices, **kwargs)


@extend_schema_field(enum_schema(Kind), component_name="AffectedRecordKindEnum")
class KindField(serializers.ChoiceField):
    def __init__(self, **kwargs):
        super().__init__(choices=Kind.choices, **kwargs)


@extend_schema_field({**enum_schema(ContactChannel), "enum": ["", *ContactChannel.values]},
                     component_name="AffectedRecordContactChannelEnum")
class ContactChannelField(serializers.ChoiceField):
    def __init__(self, **kwargs):
        super().__init__(choices=ContactChannel.choices, **kwargs)


def _id_field(**kwargs):
    return serializers.IntegerField(min_value=1, max_value=MAX_ID, **kwargs)


class AffectedRecordSerializer(ConfidentialFieldsSerializer, ModelSerializer):
    """An affected record as the list and the detail show it, with the `version` a change sends back."""

    incident = serializers.CharField(source="incident.reference", read_only=True, help_text=REFERENCE_HELP)
    system = serializers.CharField(source="system.slug", read_only=True, default=None, allow_null=True,
                                   help_text="Slug of the AI system that produced the record.")
    kind = KindField(read_only=True)
    contact_channel = ContactChannelField(read_only=True, allow_blank=True)
    state = StateField(read_only=True)
    state_changed_by_username = username_field("state_changed_by")
    reviewer_username = username_field("reviewer")

    class Meta:
        model = AffectedRecord
        fields = ["id", "incident", "kind", "external_id", "subject_ref", "jurisdiction", "contact_channel",
                  "occurred_at", "system", "component", "state", "state_changed_at", "state_changed_by",
                  "state_changed_by_username", "note", "reviewer", "reviewer_username", "import_batch",
                  "updated_at", "version"]
        read_only_fields = fields
        extra_kwargs = {
            "subject_ref": {"help_text": "A pseudonymous reference to the person concerned. Confidential: present "
                                         "only for compliance officers, incident responders and legal reviewers."},
            "version": {"help_text": "Send it back with a move or a bulk change of named records."},
        }


class AffectedRecordCreateSerializer(serializers.Serializer):
    """A record added by hand to an incident's ledger (in the state identified)."""

    incident = serializers.CharField(max_length=40, help_text=REFERENCE_HELP)
    kind = KindField()
    external_id = serializers.CharField(max_length=200, help_text="The identifier in the source system.")
    subject_ref = serializers.CharField(max_length=200, required=False, allow_blank=True,
                                        help_text="A pseudonymous reference to the person concerned.")
    jurisdiction = serializers.CharField(max_length=2, required=False, allow_blank=True,
                                         help_text="A two-letter country code, e.g. DE.")
    contact_channel = ContactChannelField(required=False, allow_blank=True)
    occurred_at = MomentField(required=False, allow_null=True)
    system = serializers.CharField(max_length=100, required=False, allow_null=True,
                                   help_text="Slug of the AI system that produced the record.")
    component = _id_field(required=False, allow_null=True, help_text="Id of the component version that produced it.")
    note = serializers.CharField(max_length=MAX_NOTE, required=False, allow_blank=True)
    reviewer = _id_field(required=False, allow_null=True,
                         help_text="Id of the compliance officer or incident responder who re-reviews it.")


class MoveSerializer(serializers.Serializer):
    to = StateField(help_text="The state to move to; the states allowed next depend on the current one.")
    note = serializers.CharField(max_length=MAX_NOTE, required=False, allow_blank=True)
    version = _id_field(required=False, help_text=VERSION_HELP)


class NamedRecordSerializer(serializers.Serializer):
    id = _id_field()
    version = _id_field(help_text="The version you read.")


class BulkSerializer(serializers.Serializer):
    """A change of many records (documentation of the body; `remediation.services.bulk` checks it)."""

    action = serializers.ChoiceField(choices=ACTIONS, help_text="`move` (to `to`) or `assign` (to `reviewer`).")
    to = StateField(required=False, help_text="With `move`: the state to move to.")
    reviewer = _id_field(required=False, allow_null=True,
                         help_text="With `assign`: the reviewer's user id, or null to take records out of queues.")
    note = serializers.CharField(max_length=MAX_NOTE, required=False, allow_blank=True)
    records = NamedRecordSerializer(many=True, required=False, help_text=(
        f"Named records with the versions read (at most {MAX_NAMED:,}): changed now, all or nothing."))
    filters = serializers.DictField(child=serializers.CharField(), required=False, help_text=(
        "Every record this filter matches (the list's query parameters as an object): changed by a job."))
    as_of = MomentField(required=False, help_text="With `filters`: when you saw the selection. Records changed "
                                                  "after it are left alone and counted.")


class BulkResultSerializer(serializers.Serializer):
    changed = serializers.IntegerField()
    summary = serializers.CharField()
    records = NamedRecordSerializer(many=True, help_text="The named records with their new versions.")


class BulkJobSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    state = serializers.CharField(help_text="queued, running, succeeded or failed.")
    progress_done = serializers.IntegerField()
    progress_total = serializers.IntegerField(allow_null=True)
    progress_unit = serializers.CharField()
    summary = serializers.CharField(help_text="What the change did: changed, and left alone (changed since, state).")
    error = serializers.CharField(help_text="Why it failed, in words; nothing was changed then.")
    created_at = serializers.DateTimeField()
    finished_at = serializers.DateTimeField(allow_null=True)
    url = serializers.URLField(help_text="This status, to poll.")
    page = serializers.URLField(help_text="The job's page in the admin.")


class NoticeSentSerializer(serializers.Serializer):
    records = NamedRecordSerializer(many=True, help_text=(
        f"The records of the mail-merge file (`record_id`, `version`) the notice went to, at most {MAX_NAMED:,} per "
        "request: all moved to notified, or none."))
    sent_at = MomentField(required=False, help_text="When the notice was sent (default: now).")
    note = serializers.CharField(max_length=MAX_NOTE, required=False, allow_blank=True)
    obligation = _id_field(required=False, allow_null=True, help_text=(
        "Id of the incident's open GDPR / UK GDPR Art. 34 obligation (communication to the data subjects) to mark "
        "submitted at `sent_at`."))
    obligation_version = _id_field(required=False, allow_null=True, help_text="The obligation's version you read.")
