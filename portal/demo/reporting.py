"""Demo regulatory reporting: regulatory facts, obligations in every status, issued documents (with a corrected
version) and disclosure decisions, so the deadline board and the incident pages are alive after `make run`.

Idempotent: an incident that already has regulatory facts is left as it is. Times are relative to now, and each
step is recorded at the moment it is said to have happened (`portal.demo.clock.recorded_at`), after its incident's
detection.
"""

from datetime import timedelta

from django.utils import timezone

from incidents import services as incident_services
from incidents.models import Incident
from inventory.models import AISystem
from portal.demo.clock import recorded_at
from reporting import services
from reporting.models import DocumentKind, Obligation, RegulatoryFacts

NOTIFICATION = DocumentKind.REGULATORY_NOTIFICATION


def _incident(title):
    return Incident.objects.filter(title=title).first()


def _obligation(incident, key):
    return Obligation.objects.filter(incident=incident, key=key).first()


def _content(actor, obligation, values: dict):
    entered = {i["key"] for i in obligation.content_items if i.get("source") == "entered"}
    services.obligation_content_update(actor=actor, obligation=obligation,
                                       content={k: v for k, v in values.items() if k in entered})


def load_reporting(*, users) -> int:
    """Returns the number of incidents given regulatory facts."""
    now = timezone.now().replace(microsecond=0)
    compliance, legal, responder = users["compliance"], users["legal"], users["responder"]
    done = 0

    def first_time(incident):
        return incident is not None and not RegulatoryFacts.objects.filter(incident=incident).exists()

    # The P0 refund-tool leak: NIS2 early warning due within 24 hours, GDPR notification running.
    leak = _incident("Refund tool leaked other customers' account numbers")
    if first_time(leak):
        done += 1
        with recorded_at(leak.detected_at + timedelta(hours=1, minutes=20)):
            services.regulatory_facts_update(actor=compliance, incident=leak, risk_to_individuals="high",
                                             nis2_entity=True, significant_incident=True)

    # The CV ranker (deployer of a high-risk system): the provider was told; individuals will be told.
    ranker = _incident("CV ranker down-ranked applicants over 50")
    if first_time(ranker):
        done += 1
        aware = ranker.aware_at
        with recorded_at(aware + timedelta(hours=1, minutes=10)):
            services.regulatory_facts_update(actor=compliance, incident=ranker, risk_to_individuals="risk")
        inform = _obligation(ranker, "eu_ai_act_26_5.inform_provider")
        if inform:
            with recorded_at(aware + timedelta(hours=2, minutes=15)):
                services.obligation_submit(actor=compliance, obligation=inform, expected_version=inform.version,
                                           submitted_at=aware + timedelta(hours=2),
                                           authority_reference="Vendor ticket CVR-8841")
        with recorded_at(aware + timedelta(days=1, hours=1)):
            decision = services.disclosure_record(
                actor=compliance, incident=ranker, audience="affected_individuals", decision="disclose",
                rationale="Applicants over 50 were systematically down-ranked; they are entitled to know and to "
                          "ask for a human review of their application.",
                legal_basis="EU AI Act Art. 86 (right to explanation); GDPR Art. 22(3)",
                shareable_summary="A CV-ranking tool we use scored some applicants over 50 lower than it should "
                                  "have. We have stopped using its scores and are re-reviewing the affected "
                                  "applications.",
                privileged_analysis="Exposure under national anti-discrimination law to be assessed with counsel.")
        with recorded_at(aware + timedelta(days=1, hours=4, minutes=30)):
            services.disclosure_approve(actor=legal, decision=decision, expected_version=decision.version,
                                        note="Approved; send with the HR letter.")
        with recorded_at(aware + timedelta(days=1, hours=5)):
            services.document_issue(actor=compliance, kind=DocumentKind.DISCLOSURE_DECISION, disclosure=decision,
                                    expected_version=decision.version)
        with recorded_at(aware + timedelta(days=1, hours=5, minutes=20)):
            services.disclosure_record(
                actor=compliance, incident=ranker, audience="public", decision="defer",
                rationale="Wait for the vendor's root-cause analysis before any public statement.",
                legal_basis="No statutory duty to inform the public at this stage",
                revisit_by=(now + timedelta(days=14)).date())

    # A new incident: transcripts exposed five days ago in France and the UK. The EU notification is overdue,
    # the UK one was filed (and its PDF corrected), Art. 34 does not apply after the sessions were invalidated,
    # and NIS2 no longer applies after the significance assessment.
    if not _incident("Support transcripts exposed through a misconfigured RAG index"):
        done += 1
        aware = now - timedelta(days=5)
        with recorded_at(aware + timedelta(minutes=14)):
            exposed = incident_services.incident_open(
                actor=responder, title="Support transcripts exposed through a misconfigured RAG index",
                track="security", incident_class="data_leakage", severity="p1", intent="unintentional",
                detection_source="red_team", detected_at=aware, aware_at=aware,
                occurred_at=aware - timedelta(days=2), systems=list(AISystem.objects.filter(slug="support-assistant")),
                jurisdictions=["FR", "GB"], personal_data_involved=True, data_subjects_affected=2400,
                users_affected=2400, harms=["privacy"], commander=responder,
                summary="A retrieval index over chat transcripts was reachable without authentication for 51 hours.")
        with recorded_at(aware + timedelta(hours=1, minutes=5)):
            services.regulatory_facts_update(actor=compliance, incident=exposed, risk_to_individuals="high",
                                             nis2_entity=True, significant_incident=True)
        with recorded_at(aware + timedelta(hours=6, minutes=40)):
            services.regulatory_facts_update(actor=compliance, incident=exposed, significant_incident=False)
        # The breach's own facts, confirmed by compliance (the inventory also proposes financial data, which the
        # exposed transcripts did not hold).
        with recorded_at(aware + timedelta(hours=9, minutes=15)):
            services.regulatory_facts_update(
                actor=compliance, incident=exposed, expected_version=exposed.regulatory_facts.version,
                personal_data_categories=["identity", "communications"], data_subject_categories=["customers"],
                records_concerned=31000)
        uk = _obligation(exposed, "uk_gdpr.notification")
        if uk:
            with recorded_at(aware + timedelta(hours=22)):
                _content(compliance, uk, {
                    "consequences": "Exposure of names, order numbers and support history; phishing risk.",
                })
            with recorded_at(aware + timedelta(hours=26, minutes=30)):
                services.document_issue(actor=compliance, kind=NOTIFICATION, obligation=uk,
                                        expected_version=uk.version)
            with recorded_at(aware + timedelta(hours=38, minutes=45)):
                services.document_issue(actor=compliance, kind=NOTIFICATION, obligation=uk,
                                        expected_version=uk.version,
                                        correction_reason="The number of records was understated in version 1.")
            with recorded_at(aware + timedelta(hours=40, minutes=10)):
                services.obligation_submit(actor=compliance, obligation=uk, expected_version=uk.version,
                                           submitted_at=aware + timedelta(hours=40),
                                           authority_reference="ICO case IC-418822-Z4M1")
        subjects = _obligation(exposed, "gdpr.data_subjects")
        if subjects:
            with recorded_at(aware + timedelta(hours=43)):
                services.obligation_mark_not_applicable(
                    actor=compliance, obligation=subjects, expected_version=subjects.version,
                    rationale="GDPR Art. 34(3)(b): every exposed session was invalidated and the index deleted "
                              "within the hour, so the high risk is no longer likely to materialise.")

    # The closed supply-chain incident: determined material, 8-K filed, report issued after it closed.
    supply = _incident("Compromised agent framework release")
    if first_time(supply):
        done += 1
        detected = supply.detected_at
        with recorded_at(detected + timedelta(days=1, hours=2)):
            services.regulatory_facts_update(actor=compliance, incident=supply, sec_registrant=True,
                                             materiality_determined_at=detected + timedelta(days=1))
        filing = _obligation(supply, "sec_8k.item_1_05")
        if filing:
            with recorded_at(detected + timedelta(days=2, hours=20)):
                services.document_issue(actor=compliance, kind=NOTIFICATION, obligation=filing,
                                        expected_version=filing.version)
            with recorded_at(detected + timedelta(days=3, minutes=25)):
                services.obligation_submit(actor=compliance, obligation=filing, expected_version=filing.version,
                                           submitted_at=detected + timedelta(days=3),
                                           authority_reference="EDGAR accession 0001234567-26-000042")
        supply.refresh_from_db()
        closed = supply.closed_at or now - timedelta(days=1)
        with recorded_at(closed + timedelta(days=1, hours=2)):
            services.document_issue(actor=compliance, kind=DocumentKind.POST_INCIDENT_REPORT, incident=supply,
                                    expected_version=supply.version)
        # Shared with the AI Incident Database once legal approved: the AIID export works for this incident.
        with recorded_at(closed + timedelta(days=2, hours=4)):
            shared = services.disclosure_record(
                actor=compliance, incident=supply, audience="aiid", decision="disclose",
                rationale="The compromised release affected other users of the framework; sharing helps them.",
                legal_basis="Voluntary disclosure (no statutory duty)",
                shareable_summary="A malicious patch release of an open-source agent framework read environment "
                                  "variables of our DevOps agent; we went back to the previous release and now pin "
                                  "dependencies by hash.")
        with recorded_at(closed + timedelta(days=3, hours=1)):
            services.disclosure_approve(actor=legal, decision=shared, expected_version=shared.version)
    return done
