"""Alert intake: POST /api/v1/alerts/ for monitoring and guardrail tools.

Token authentication only (a service account's `Authorization: Token <key>`, a token with the `alert_intake`
scope, which is enough without `write`); the token's user needs `incidents.add_incident` (an incident responder or
compliance officer account). It has its own throttle rate (`alert_intake`), higher than an ordinary user's.
The view parses the payload and calls `services.alert_receive`, which opens an incident or appends the alert to
the open incident with the same deduplication key.
"""

from drf_spectacular.utils import OpenApiExample, OpenApiResponse, extend_schema, extend_schema_field
from rest_framework import serializers, status
from rest_framework.response import Response
from rest_framework.throttling import ScopedRateThrottle
from rest_framework.views import APIView

from incidents import services
from incidents.models import DetectionSource, Incident, IncidentClass, Track
from incidents.services.intake import SEVERITY_ALIASES
from portal.core.api_inputs import BoundedJSONField, BoundedJSONParser, MomentField
from portal.core.authentication import ApiTokenAuthentication
from portal.core.models import TokenScope

SEVERITY_TABLE = "; ".join(
    f"{target.upper()}: {', '.join(name for name, value in SEVERITY_ALIASES.items() if value == target)}"
    for target in dict.fromkeys(SEVERITY_ALIASES.values())
)


class AwareDateTimeField(MomentField):
    """ISO 8601 with its time zone: a time without one is refused rather than guessed."""

    default_error_messages = {"naive": "Give the time zone (e.g. 2026-03-01T10:00:00Z or 2026-03-01T11:00:00+01:00)."}

    def enforce_timezone(self, value):
        if value.tzinfo is None:
            self.fail("naive")
        return super().enforce_timezone(value)


@extend_schema_field({"oneOf": [{"type": "string"}, {"type": "object", "additionalProperties": {}}]})
class DetailsField(BoundedJSONField):
    """Free text or a JSON object, kept as sent on the timeline event."""


class AlertSerializer(serializers.Serializer):
    source = serializers.CharField(max_length=100, help_text="The tool that sent the alert, e.g. datadog, "
                                                             "guardrails-ai.")
    dedup_key = serializers.CharField(max_length=200, help_text="Alerts with the same key append to the open "
                                                                "incident they opened.")
    severity = serializers.CharField(max_length=20, help_text=f"Mapped to the portal's severity: {SEVERITY_TABLE} "
                                                              "(case-insensitive; '-', '_' and spaces ignored).")
    title = serializers.CharField(max_length=200)
    details = DetailsField(required=False, default="", help_text="Free text or a JSON object.")
    system = serializers.CharField(required=False, allow_blank=True, default="", max_length=100,
                                   help_text="Slug of the affected AI system (or use `systems`).")
    systems = serializers.ListField(child=serializers.CharField(max_length=100), required=False, default=list,
                                    help_text="Slugs of the affected AI systems.")
    components = serializers.ListField(child=serializers.CharField(max_length=300), required=False, default=list,
                                       help_text="Affected components: ids or CycloneDX bom-refs.")
    observed_at = AwareDateTimeField(help_text="When the tool observed it: ISO 8601 with a time zone. Becomes the "
                                               "incident's detection time; more than 5 minutes ahead is refused.")
    incident_class = serializers.ChoiceField(choices=IncidentClass.choices, required=False, allow_blank=True,
                                             default="", help_text="Default: other.")
    track = serializers.ChoiceField(choices=Track.choices, required=False, allow_blank=True, default="",
                                    help_text="Default: security for a guardrail block, else safety.")
    detection_source = serializers.ChoiceField(
        choices=DetectionSource.choices, required=False, allow_blank=True, default="",
        help_text="Default: guardrail when `source` contains 'guardrail', else monitoring.")
    source_reference = serializers.CharField(required=False, allow_blank=True, default="", max_length=200,
                                             help_text="The alert's id at the source (default: source:dedup_key).")


class AlertResultSerializer(serializers.Serializer):
    incident = serializers.CharField(help_text="Reference of the incident opened or appended to.")
    created = serializers.BooleanField(help_text="true: a new incident was opened (201); false: appended (200).")


OBSERVABILITY_ALERT = {
    "source": "datadog", "dedup_key": "support-bot:toxicity-rate", "severity": "warning",
    "title": "Toxicity rate above 2% on the support bot",
    "details": {"monitor": "llm.toxicity.rate", "value": 0.034, "threshold": 0.02, "window": "15m"},
    "system": "support-bot", "observed_at": "2026-03-02T09:14:00Z", "incident_class": "harmful_output",
}
GUARDRAIL_BLOCK = {
    "source": "guardrails-ai", "dedup_key": "support-bot:prompt-injection:session-81f2", "severity": "high",
    "title": "Prompt injection blocked: instruction to reveal the system prompt",
    "details": "Validator detect_prompt_injection failed on user input; request blocked.",
    "systems": ["support-bot"], "components": ["pkg:huggingface/acme/support-llm@1.0"],
    "observed_at": "2026-03-02T09:20:31+01:00", "incident_class": "prompt_injection",
}


class AlertIntakeView(APIView):
    authentication_classes = [ApiTokenAuthentication]
    token_scope = TokenScope.ALERT_INTAKE  # the token's scope this view needs (portal.core.permissions)
    throttle_classes = [ScopedRateThrottle]
    throttle_scope = "alert_intake"
    parser_classes = [BoundedJSONParser]
    queryset = Incident.objects.none()  # RoleModelPermissions: POST needs incidents.add_incident

    @extend_schema(
        summary="Receive an alert from a monitoring or guardrail tool",
        description=(
            "Opens an incident (201) or, while an incident opened with the same `dedup_key` is open, appends the "
            "alert to it as an `alert` timeline event (200); a higher severity raises the incident's, newly named "
            "systems and components are added. Token authentication only, with the `alert_intake` scope; the "
            "token's user needs permission to add incidents. "
            f"Severity mapping: {SEVERITY_TABLE}. A malformed payload gets 400 naming each field."
        ),
        request=AlertSerializer,
        responses={
            201: AlertResultSerializer, 200: AlertResultSerializer,
            400: OpenApiResponse(description="Bad payload: each field named with the rule (unknown system slug, "
                                             "severity, missing time zone, observation in the future ...)."),
            401: OpenApiResponse(description="No or invalid token."),
            403: OpenApiResponse(description="The token lacks the `alert_intake` scope, or its user may not open "
                                             "incidents."),
            429: OpenApiResponse(description="Too many alerts: the `alert_intake` rate is exceeded."),
        },
        examples=[
            OpenApiExample("Observability alert", value=OBSERVABILITY_ALERT, request_only=True,
                           description="A monitor on an LLM quality metric (severity warning -> P2)."),
            OpenApiExample("Guardrail block", value=GUARDRAIL_BLOCK, request_only=True,
                           description="A guardrail blocked an input; defaults to detection source guardrail and "
                                       "track security (severity high -> P1)."),
            OpenApiExample("Opened", value={"incident": "AIIR-2026-0042", "created": True}, response_only=True,
                           status_codes=["201"]),
            OpenApiExample("Appended", value={"incident": "AIIR-2026-0042", "created": False},
                           response_only=True, status_codes=["200"]),
        ],
    )
    def post(self, request):
        payload = AlertSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        result = services.alert_receive(actor=request.user, **payload.validated_data)
        return Response(AlertResultSerializer({"incident": result.incident.reference, "created": result.created}).data,
                        status=status.HTTP_201_CREATED if result.created else status.HTTP_200_OK)
