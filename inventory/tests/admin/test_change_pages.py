"""What the change pages show: evidence-readiness gaps, the recent timeline, the blast radius; list filters."""

from inventory import services
from inventory.models import CONTAINMENT_ACTIVITIES, Activity, ComponentKind, RaciRole
from inventory.tests.admin.helpers import admin_url, page_text
from inventory.tests.factories import AISystemFactory, ComponentFactory
from portal.core import roles


def _ready_system(actor, **fields):
    system = AISystemFactory(actor=actor, inference_logging=True, kill_switch_procedure="Flip the flag.",
                             rollback_procedure="Redeploy the previous tag.", **fields)
    for activity in CONTAINMENT_ACTIVITIES:
        services.raci_assign(actor=actor, system=system, activity=activity, role=RaciRole.ACCOUNTABLE, user=actor)
    return system


def test_the_system_page_lists_its_evidence_readiness_gaps(client_as, inventory):
    response = client_as(roles.AUDITOR).get(admin_url("aisystem", "change", inventory.system.pk))

    text = page_text(response)
    assert "evidence-readiness gaps" in text.lower()
    assert "No inference logging" in text
    assert "No kill-switch procedure written." in text
    assert "No rollback procedure written." in text
    assert "No Accountable for containment: Suspend endpoint / kill switch, Revoke an API key" in text


def test_a_ready_system_page_says_it_has_no_gaps(compliance_client, compliance):
    system = _ready_system(compliance, name="Ready bot", slug="ready-bot")

    response = compliance_client.get(admin_url("aisystem", "change", system.pk))

    assert "Ready: no evidence-readiness gaps." in page_text(response)


def test_the_system_page_shows_its_recent_timeline(compliance_client, inventory):
    response = compliance_client.get(admin_url("aisystem", "change", inventory.system.pk))

    text = page_text(response)
    assert "AI system Support bot registered" in text
    assert "ML platform: Accountable for Own the system" in text


def test_the_blast_radius_lists_systems_reaching_the_component_through_the_graph(compliance_client, role_users):
    owner = role_users[roles.LEGAL_REVIEWER]
    actor = role_users[roles.COMPLIANCE_OFFICER]
    c = ComponentFactory(actor=actor, kind=ComponentKind.DATASET, name="poisoned-corpus")
    b = ComponentFactory(actor=actor, kind=ComponentKind.MODEL, name="fine-tuned-llm")
    a = ComponentFactory(actor=actor, kind=ComponentKind.AGENT, name="claims-agent")
    services.dependency_add(actor=actor, component=b, depends_on=c, relation="trained_on")
    services.dependency_add(actor=actor, component=a, depends_on=b)
    hit = AISystemFactory(actor=actor, name="Claims handler", slug="claims-handler", lifecycle="production",
                          risk_class="transparency", risk_rationale="Chatbot disclosure.")
    services.system_component_attach(actor=actor, system=hit, component=a)
    services.raci_assign(actor=actor, system=hit, activity=Activity.OWN_SYSTEM, role=RaciRole.ACCOUNTABLE,
                         user=owner)
    spared = AISystemFactory(actor=actor, name="Unrelated bot", slug="unrelated-bot")
    services.system_component_attach(actor=actor, system=spared, component=ComponentFactory(actor=actor))

    response = compliance_client.get(admin_url("component", "change", c.pk))

    text = page_text(response)
    assert "1 AI system reaches this component" in text
    assert f'href="{admin_url("aisystem", "change", hit.pk)}"' in text
    assert "Claims handler" in text
    assert "Production" in text
    assert "Limited risk: transparency obligations (Art. 50)" in text
    assert owner.username in text
    assert "Unrelated bot" not in text


def test_a_component_nobody_uses_says_so(compliance_client, compliance):
    lonely = ComponentFactory(actor=compliance, name="lonely")

    response = compliance_client.get(admin_url("component", "change", lonely.pk))

    assert "No AI system uses this component" in page_text(response)


def test_the_readiness_filter_separates_systems_with_gaps_from_ready_ones(compliance_client, compliance, inventory):
    _ready_system(compliance, name="Ready bot", slug="ready-bot")
    url = admin_url("aisystem", "changelist")

    gaps = compliance_client.get(url + "?readiness=gaps").context["cl"].result_list
    ready = compliance_client.get(url + "?readiness=ready").context["cl"].result_list

    assert [s.name for s in gaps] == ["Support bot"]
    assert [s.name for s in ready] == ["Ready bot"]


def test_the_system_list_shows_owner_counts_and_gaps(compliance_client, inventory):
    response = compliance_client.get(admin_url("aisystem", "changelist"))

    row = response.context["cl"].result_list[0]
    text = page_text(response)
    assert (row.accountable_owner, row.component_count) == ("ML platform", 1)
    assert "Minimal risk" in text
    assert "readiness gaps" in text.lower()


def test_the_compliance_officer_can_search_users_to_assign_without_browsing_the_user_admin(client_as, inventory):
    query = "?app_label=inventory&model_name=raciassignment&field_name=user&term=audi"
    url = "/admin/autocomplete/" + query

    allowed = client_as(roles.COMPLIANCE_OFFICER).get(url)
    refused = client_as(roles.AUDITOR).get(url)

    assert allowed.status_code == 200
    assert [r["text"] for r in allowed.json()["results"]] == ["auditor"]
    assert refused.status_code == 403


def test_the_admin_carries_the_portal_name(client_as):
    response = client_as(roles.LEADERSHIP).get("/admin/")

    text = page_text(response)
    assert "<title>Governance records | AI Incident Governance Portal</title>" in text
    assert '<div id="site-name"><a href="/admin/">AI Incident Governance Portal</a></div>' in text
