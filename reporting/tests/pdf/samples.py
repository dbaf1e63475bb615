"""Realistic contexts for the three document templates, in the shapes the document services pass."""

import copy

REFERENCE_DATA_VERSION = "regimes-2025.06.1"

DOCUMENT = {
    "title": "GDPR Art. 33 notification to the Irish Data Protection Commission",
    "kind_label": "Regulatory notification",
    "reference": "INC-2025-0042-NOT-GDPR33-v2",
    "version": "2",
    "issued_at": "2025-06-03T14:05:00Z",
    "issued_by": "Dana Whitfield (Compliance officer)",
    "supersedes": "v1",
    "reference_data_version": REFERENCE_DATA_VERSION,
}

INCIDENT = {
    "reference": "INC-2025-0042",
    "title": "Support assistant disclosed other customers' order details",
    "summary": (
        "A prompt-injection payload in a product review made the customer-support assistant return order "
        "history of other customers.\nThe retrieval tool was disabled within two hours."
    ),
    "severity": "SEV-1",
    "status": "Contained",
    "incident_class": "Data leakage through an LLM application",
    "track": "Privacy",
    "occurred_at": "2025-06-01T22:40:00+00:00",
    "detected_at": "2025-06-02T07:15:00+00:00",
    "aware_at": "2025-06-02T09:30:00+00:00",
    "contained_at": "2025-06-02T11:45:00+00:00",
    "recovered_at": None,
    "systems": ["support-assistant (gpt-4o via Azure OpenAI)", "order-lookup retrieval tool"],
    "jurisdictions": ["IE", "DE", "FR"],
    "harms": ["Confidentiality of personal data", "Customer trust"],
}


def notification_context():
    return {
        "document": copy.deepcopy(DOCUMENT),
        "incident": copy.deepcopy(INCIDENT),
        "organisation": {"name": "Example Retail Ltd", "contact": "dpo@example.com, +353 1 555 0100"},
        "obligation": {
            "regime_name": "GDPR",
            "provision": "Art. 33(1)",
            "stage_name": "Initial notification",
            "recipient": "Data Protection Commission (Ireland)",
            "jurisdiction": "IE",
            "clock_start_event": "Controller becomes aware of the personal data breach",
            "clock_starts_at": "2025-06-02T09:30:00+00:00",
            "due_at": "2025-06-05T09:30:00+00:00",
            "rule": "72 hours after awareness, calendar hours (GDPR Art. 33(1))",
            "verification": "Verified against the regulation text on 2025-05-20",
            "uncertain": True,
            "note": "Lead supervisory authority under the one-stop-shop mechanism (Art. 56).",
            "source": "Regulation (EU) 2016/679, Art. 33",
            "status": "Submitted",
            "submitted_at": "2025-06-03T14:20:00+00:00",
            "authority_reference": "DPC-BN-2025-118842",
        },
        "content": [
            {
                "label": "Nature of the personal data breach",
                "provision": "Art. 33(3)(a)",
                "value": "Unauthorised disclosure of order history through the support assistant.",
                "missing": False,
            },
            {
                "label": "Categories and approximate number of data subjects",
                "provision": "Art. 33(3)(a)",
                "value": ["Customers: about 1,200", "Employees: none"],
                "missing": False,
            },
            {
                "label": "Contact point (data protection officer)",
                "provision": "Art. 33(3)(b)",
                "value": "dpo@example.com",
                "missing": False,
            },
            {
                "label": "Likely consequences of the breach",
                "provision": "Art. 33(3)(c)",
                "value": None,
                "missing": True,
            },
            {
                "label": "Measures taken or proposed",
                "provision": "Art. 33(3)(d)",
                "value": ["Retrieval tool disabled", "Affected customers informed"],
                "missing": False,
            },
        ],
    }


def disclosure_decision_context():
    document = copy.deepcopy(DOCUMENT)
    document.update(
        title="Disclosure decision: affected customers",
        kind_label="Disclosure decision",
        reference="INC-2025-0042-DIS-CUST-v1",
        version="1",
        supersedes=None,
    )
    return {
        "document": document,
        "incident": copy.deepcopy(INCIDENT),
        "decision": {
            "audience_label": "Affected customers",
            "decision_label": "Disclose",
            "rationale": "High risk to the rights and freedoms of the customers concerned (Art. 34(1)).",
            "legal_basis": "GDPR Art. 34",
            "shareable_summary": "Some order details were visible to other customers for about 13 hours.",
            "decided_by": "Dana Whitfield",
            "decided_at": "2025-06-03T10:00:00+00:00",
            "approved_by": "Marc Olsen (General counsel)",
            "approved_at": "2025-06-03T11:30:00+00:00",
            "status_label": "Approved",
            "gdpr_33_5_record": True,
            "revisit_by": "2025-09-01",
        },
    }


def post_incident_report_context():
    document = copy.deepcopy(DOCUMENT)
    document.update(
        title="Post-incident report",
        kind_label="Post-incident report",
        reference="INC-2025-0042-PIR-v1",
        version=1,  # the document service passes an int
        supersedes=None,
    )
    return {
        "document": document,
        "incident": copy.deepcopy(INCIDENT),
        "review": {
            "root_cause": "The retrieval tool trusted instructions embedded in user-generated product reviews.",
            "contributing_factors": "No output filter on order identifiers; reviews indexed without sanitising.",
            "what_worked": "The anomaly alert on cross-account lookups fired within nine hours.",
            "lessons": "Treat every retrieved document as untrusted input.",
            "runbook_updated": True,
            "regression_case_added": False,
            "action_items": [
                {
                    "title": "Add an output filter for order identifiers",
                    "owner": "Priya Natarajan",
                    "due_on": "2025-06-20",
                    "status": "Open",
                },
                {
                    "title": "Sanitise reviews before indexing",
                    "owner": "Tom Becker",
                    "due_on": "2025-07-01",
                    "status": "In progress",
                },
            ],
        },
        "metrics": {"mttd": "8 h 35 min", "mtta": "2 h 15 min", "mttc": "2 h 15 min", "mttr": None},
        "timeline": [
            {
                "at": "2025-06-02T07:15:00+00:00",
                "kind": "Detected",
                "summary": "Anomaly alert: cross-account order lookups",
                "actor": "monitoring",
            },
            {
                "at": "2025-06-02T09:30:00+00:00",
                "kind": "Triaged",
                "summary": "Confirmed personal data exposure",
                "actor": "Sam Reyes",
            },
            {
                "at": "2025-06-02T11:45:00+00:00",
                "kind": "Contained",
                "summary": "Retrieval tool disabled",
                "actor": "Sam Reyes",
            },
        ],
        "obligations": [
            {
                "regime_name": "GDPR",
                "stage_name": "Initial notification",
                "jurisdiction": "IE",
                "due_at": "2025-06-05T09:30:00+00:00",
                "status": "Submitted",
                "submitted_at": "2025-06-03T14:20:00+00:00",
                "authority_reference": "DPC-BN-2025-118842",
            },
        ],
        "containment": [
            {
                "kind": "Disable tool",
                "target": "order-lookup retrieval tool",
                "performed_at": "2025-06-02T11:45:00+00:00",
                "outcome": "Succeeded",
            },
        ],
    }


def attachment_for(context):
    """The data a document service would embed: the context itself, plus a schema marker."""
    return {"schema": "portal.document/1", **copy.deepcopy(context)}
