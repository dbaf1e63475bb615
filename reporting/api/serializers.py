"""Serializers of the reporting API: they check the shape of a payload and render rows; they never save.

The views hand `validated_data` to `reporting.services`, which check the rules (roles, the two-person rule,
rationale and reasons, versions) and write history and the timeline. Incidents are named by their reference,
users by id (with the username alongside), obligations, documents and decisions by id.

A disclosure decision's `privileged_analysis` is a confidential field (`portal.core.confidential`): it is only part
of the representation for the roles cleared for it (compliance officers and legal reviewers); for anyone else the
field is absent, not empty (`ConfidentialFieldsSerializer`).
"""

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers
from rest_framework.reverse import reverse

from incidents.api.response_serializers import enum_schema, username_field
from incidents.models import Incident
from inventory.models import PersonalData
from portal.core.api import ConfidentialFieldsSerializer, ModelSerializer
from portal.core.api_inputs import DayField, MomentField
from reporting import selectors
from reporting.models import DataSubjectCategory, DisclosureDecision, Document, Obligation, RegulatoryFacts
from reporting.services.documents import document_warnings, obligation_authority
from reporting.services.facts import BREACH_FIELDS, FACT_FIELDS
from reporting.services.obligations import COMPUTED

REFERENCE_HELP = "Reference of the incident, e.g. AIIR-2026-0001."


def version_help(record: str) -> str:
    return (f"The `version` of the {record} you read (or send it as `If-Match: \"<version>\"`). Required for "
            f"changes: without it the change is refused with 428; a stale one gets 409 naming who changed the "
            f"{record} and when.")


def incident_reference(**kwargs):
    return serializers.CharField(source="incident.reference", read_only=True, help_text=REFERENCE_HELP, **kwargs)


@extend_schema_field(enum_schema(Obligation.Status), component_name="ObligationStatusEnum")
class ObligationStatusField(serializers.ChoiceField):
    def __init__(self, **kwargs):
        super().__init__(choices=Obligation.Status.choices, **kwargs)


@extend_schema_field(enum_schema(DisclosureDecision.Status), component_name="DisclosureDecisionStatusEnum")
class DisclosureStatusField(serializers.ChoiceField):
    def __init__(self, **kwargs):
        super().__init__(choices=DisclosureDecision.Status.choices, **kwargs)


# --- documents ---------------------------------------------------------------------------------------------------

class DocumentSerializer(ModelSerializer):
    """An issued PDF: immutable; a correction is a new version that supersedes it."""

    reference = serializers.CharField(read_only=True, help_text="incident/kind/subject/version.")
    incident = incident_reference()
    issued_by_username = username_field("issued_by")
    superseded_by = serializers.SerializerMethodField(help_text="Id of the version that superseded this one.")
    download_url = serializers.SerializerMethodField(help_text="Where to download the PDF.")
    warnings = serializers.SerializerMethodField(
        help_text="What to know before using the document, e.g. that it names the placeholder organisation "
                  "('Example Organisation', issued in development only) and is not for submission.")

    class Meta:
        model = Document
        fields = ["id", "reference", "incident", "kind", "title", "subject", "obligation", "disclosure", "version",
                  "sha256", "size", "supersedes", "superseded_by", "correction_reason", "issued_by",
                  "issued_by_username", "issued_at", "reference_data_version", "download_url", "warnings"]
        read_only_fields = fields
        extra_kwargs = {"supersedes": {"help_text": "Id of the version this one supersedes (null for version 1)."}}

    @extend_schema_field(serializers.IntegerField(allow_null=True))
    def get_superseded_by(self, document) -> int | None:
        newer = getattr(document, "superseded_by", None)  # select_related: no query; no row: None
        return newer.pk if newer else None

    def get_warnings(self, document) -> list[str]:
        return document_warnings(document)

    def get_download_url(self, document) -> str:
        return reverse("document-download", kwargs={"pk": document.pk}, request=self.context.get("request"))


# --- obligations -------------------------------------------------------------------------------------------------

class ContentItemSerializer(serializers.Serializer):
    key = serializers.CharField()
    label = serializers.CharField()
    provision = serializers.CharField(required=False)
    source = serializers.CharField(help_text="`entered`: a compliance officer enters it (`content/`); otherwise the "
                                             "incident data the PDF takes it from, e.g. `incident.summary`.")


@extend_schema_field(ContentItemSerializer(many=True))
class ContentItemsField(serializers.JSONField):
    """What the notification must contain, per the regime's data (as stored)."""


SUMMARY = ["id", "incident", "incident_title", "key", "regime", "regime_name", "provision", "stage", "stage_name",
           "recipient", "jurisdiction", "clock_starts_at", "due_at", "uncertain", "status", "submitted_at",
           "authority_reference", "version", "updated_at"]


class ObligationSerializer(ModelSerializer):
    """An obligation as lists show it."""

    incident = incident_reference()
    incident_title = serializers.CharField(source="incident.title", read_only=True)
    status = ObligationStatusField(read_only=True)

    class Meta:
        model = Obligation
        fields = SUMMARY
        read_only_fields = fields
        extra_kwargs = {"due_at": {"help_text": "Null where the law sets no number (immediately, without undue "
                                                "delay) or while a chained stage waits for an earlier submission."}}


class ObligationDetailSerializer(ObligationSerializer):
    """One obligation: what the clock computed, what was recorded, the content and the documents issued."""

    submitted_by_username = username_field("submitted_by")
    content_items = ContentItemsField(read_only=True)
    content = serializers.DictField(child=serializers.CharField(), read_only=True,
                                    help_text="Notification content entered by compliance, by item key.")
    documents = DocumentSerializer(many=True, read_only=True, help_text="Documents issued for it, newest first.")
    competent_authority = serializers.SerializerMethodField(
        help_text="The supervisory authority the notification goes to and why (GDPR Art. 55, 56: the lead authority "
                  "of the main establishment, ORGANISATION_COUNTRY; UK GDPR: the ICO); null for other regimes.")

    class Meta(ObligationSerializer.Meta):
        fields = list(dict.fromkeys([
            *SUMMARY, *COMPUTED, "competent_authority", "submitted_by", "submitted_by_username", "rationale",
            "closed_by_clock", "no_longer_applies", "content", "documents", "created_at",
        ]))
        read_only_fields = fields

    @extend_schema_field(serializers.CharField(allow_null=True))
    def get_competent_authority(self, obligation) -> str | None:
        competence = obligation_authority(obligation)
        return competence.text if competence else None


class VersionedSerializer(serializers.Serializer):
    version = serializers.IntegerField(min_value=1, required=False, help_text=version_help("obligation"))


class SubmitSerializer(VersionedSerializer):
    submitted_at = MomentField(required=False, allow_null=True,
                               help_text="When it was submitted to the authority (default: now).")
    authority_reference = serializers.CharField(required=False, allow_blank=True, default="", max_length=200,
                                                help_text="The authority's case or receipt number.")


class NotApplicableSerializer(VersionedSerializer):
    rationale = serializers.CharField(required=False, allow_blank=True, default="",
                                      help_text="Why the obligation does not apply (required).")


class ReopenSerializer(VersionedSerializer):
    reason = serializers.CharField(required=False, allow_blank=True, default="",
                                   help_text="Why the submission or decision is undone (required).")


class ContentSerializer(VersionedSerializer):
    content = serializers.DictField(
        child=serializers.CharField(allow_blank=True),
        help_text="Entered items by key (see `content_items` with source `entered`); items not named keep their "
                  "value, an empty value clears one.")


class IssueSerializer(VersionedSerializer):
    correction_reason = serializers.CharField(required=False, allow_blank=True, default="",
                                              help_text="What a new version corrects (required after version 1).")


# --- disclosure decisions ----------------------------------------------------------------------------------------

class DisclosureDecisionSerializer(ConfidentialFieldsSerializer, ModelSerializer):
    """A disclosure decision. `privileged_analysis` is present only for compliance officers and legal reviewers."""

    incident = serializers.SlugRelatedField(slug_field="reference", queryset=Incident.objects.all(),
                                            help_text=REFERENCE_HELP)
    obligation = serializers.PrimaryKeyRelatedField(
        queryset=Obligation.objects.all(), required=False, allow_null=True,
        help_text="Id of the obligation (of the same incident) the decision is about, if any.")
    decided_by_username = username_field("decided_by")
    approved_by_username = username_field("approved_by")
    is_gdpr_33_5_record = serializers.BooleanField(
        read_only=True, help_text="A decision not to notify a regulator of a personal-data breach: it documents the "
                                  "breach under GDPR Art. 33(5).")
    status = DisclosureStatusField(read_only=True)
    version = serializers.IntegerField(min_value=1, required=False, help_text=version_help("decision"))

    class Meta:
        model = DisclosureDecision
        fields = ["id", "incident", "obligation", "audience", "decision", "rationale", "legal_basis",
                  "shareable_summary", "privileged_analysis", "revisit_by", "status", "decided_by",
                  "decided_by_username", "decided_at", "approved_by", "approved_by_username", "approved_at",
                  "review_note", "is_gdpr_33_5_record", "version", "updated_at"]
        read_only_fields = ["status", "decided_by", "decided_at", "approved_by", "approved_at", "review_note",
                            "updated_at"]
        extra_kwargs = {"privileged_analysis": {
            "help_text": "Privileged and confidential: present only for compliance officers and legal reviewers; "
                         "never exported or rendered."}}


class ReviewNoteSerializer(serializers.Serializer):
    note = serializers.CharField(required=False, allow_blank=True, default="",
                                 help_text="Legal's note (required to return a decision: what needs to change).")
    version = serializers.IntegerField(min_value=1, required=False, help_text=version_help("decision"))


# --- regulatory facts --------------------------------------------------------------------------------------------

class ObligationKeySerializer(ModelSerializer):
    status = ObligationStatusField(read_only=True)

    class Meta:
        model = Obligation
        fields = ["id", "key", "status", "due_at"]
        read_only_fields = fields


class RegulatoryFactsSerializer(ModelSerializer):
    """The regulatory facts of an incident that the incident record does not hold, and the obligations the clock
    computes from them. Until the facts are recorded they are the organisation's profile defaults."""

    incident = incident_reference()
    version = serializers.IntegerField(
        min_value=1, required=False, allow_null=True,
        help_text=version_help("regulatory facts") + " Null (and not needed) until the facts are recorded.")
    recorded = serializers.SerializerMethodField(help_text="False while the facts are the profile defaults.")
    personal_data_categories = serializers.ListField(
        child=serializers.ChoiceField(choices=PersonalData.choices), required=False, allow_null=True,
        help_text="Categories of personal data the breach concerns (GDPR Art. 33(3)(a)); null or empty: not yet "
                  "established. Sending the breach facts confirms them in your name.")
    data_subject_categories = serializers.ListField(
        child=serializers.ChoiceField(choices=DataSubjectCategory.choices), required=False, allow_null=True,
        help_text="Categories of data subjects concerned; null or empty: not yet established. The approximate "
                  "number of data subjects is the incident's `data_subjects_affected`.")
    personal_data_categories_proposed = serializers.SerializerMethodField(
        help_text="Proposed from the inventory: the personal-data categories the affected AI systems process. "
                  "Never used by a notification until confirmed as `personal_data_categories`.")
    breach_facts_confirmed_by_username = username_field("breach_facts_confirmed_by")
    obligations = serializers.SerializerMethodField(help_text="The incident's obligations as now computed.")

    class Meta:
        model = RegulatoryFacts
        fields = ["incident", *FACT_FIELDS, *BREACH_FIELDS, "personal_data_categories_proposed",
                  "breach_facts_confirmed_by", "breach_facts_confirmed_by_username", "breach_facts_confirmed_at",
                  "version", "recorded", "updated_at", "obligations"]
        read_only_fields = ["updated_at", "breach_facts_confirmed_by", "breach_facts_confirmed_at"]

    def to_representation(self, instance):
        data = super().to_representation(instance)
        if instance.pk is None:
            data["version"] = None
        return data

    def get_recorded(self, facts) -> bool:
        return facts.pk is not None

    @extend_schema_field({"type": "array", "items": {"type": "string"},
                          "description": "Values as in `personal_data_categories`."})
    def get_personal_data_categories_proposed(self, facts) -> list[str]:
        return selectors.breach_categories_proposed(facts.incident)

    @extend_schema_field(ObligationKeySerializer(many=True))
    def get_obligations(self, facts):
        rows = Obligation.objects.filter(incident_id=facts.incident_id).order_by("key")
        return ObligationKeySerializer(rows, many=True).data


# --- AI Incident Database export ---------------------------------------------------------------------------------

class AiidSubmissionInfoSerializer(serializers.Serializer):
    source = serializers.CharField()
    incident_reference = serializers.CharField()
    disclosure_approved = serializers.BooleanField(
        help_text="Always true: an incident is exported only with an approved decision to disclose it to the AIID "
                  "or the public (its shareable summary is the description).")
    disclosure_audience = serializers.ChoiceField(choices=["aiid", "public"],
                                                  help_text="The audience of that approved decision.")
    approved_at = MomentField(help_text="When a legal reviewer approved that decision.")


class AiidSubmissionSerializer(serializers.Serializer):
    """The incident in the AI Incident Database's submission shape, sanitized (no privileged analysis, people,
    evidence, timeline or internal notes)."""

    date = DayField()
    title = serializers.CharField()
    description = serializers.CharField()
    AllegedDeployerOfAISystem = serializers.ListField(child=serializers.CharField())
    AllegedDeveloperOfAISystem = serializers.ListField(child=serializers.CharField())
    AllegedHarmedOrNearlyHarmedParties = serializers.ListField(child=serializers.CharField())
    implicated_systems = serializers.ListField(child=serializers.CharField())
    classifications = serializers.DictField(help_text="By taxonomy namespace: MIT, CSETv1, MITRE-ATLAS, "
                                                      "OWASP-LLM-2025.")
    submission = AiidSubmissionInfoSerializer()
