"""The blast radius of a component: every AI system that reaches it through the AIBOM, in one query.

Graph used below (an arrow reads "depends on"; systems use the components named after them):

    agent --uses_tool--> search-tool
    agent --depends_on--> llm --trained_on--> corpus
    chat-assistant uses agent; summariser uses llm; archive-search uses corpus; payroll uses payroll-model
"""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from inventory import services
from inventory.models import AISystem, ComponentKind
from inventory.tests.factories import AISystemFactory, ComponentFactory, TeamFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def graph(role_users):
    owner = role_users["admin"]
    team = TeamFactory(name="Assistants")
    corpus = ComponentFactory(kind=ComponentKind.DATASET, name="corpus")
    llm = ComponentFactory(kind=ComponentKind.MODEL, name="llm")
    tool = ComponentFactory(kind=ComponentKind.TOOL, name="search-tool")
    agent = ComponentFactory(kind=ComponentKind.AGENT, name="agent")
    payroll_model = ComponentFactory(kind=ComponentKind.MODEL, name="payroll-model")
    services.dependency_add(actor=None, component=llm, depends_on=corpus, relation="trained_on")
    services.dependency_add(actor=None, component=agent, depends_on=llm)
    services.dependency_add(actor=None, component=agent, depends_on=tool, relation="uses_tool")
    systems = {}
    for slug, component in [("chat-assistant", agent), ("summariser", llm), ("archive-search", corpus),
                            ("payroll", payroll_model)]:
        systems[slug] = AISystemFactory(slug=slug, name=slug.replace("-", " ").title(), owner_team=team,
                                        lifecycle="production")
        services.system_component_attach(actor=None, system=systems[slug], component=component)
    services.raci_assign(actor=None, system=systems["chat-assistant"], activity="own_system", role="accountable",
                         user=owner)
    return {"corpus": corpus, "llm": llm, "tool": tool, "agent": agent, "payroll": payroll_model,
            "team": team, "owner": owner}


def blast(client, component):
    with CaptureQueriesContext(connection) as queries:
        response = client.get(f"/api/v1/components/{component.pk}/blast-radius/")
    assert response.status_code == 200, response.content
    system_queries = [q["sql"] for q in queries if AISystem._meta.db_table in q["sql"]]
    return response.json(), system_queries, len(queries)


@pytest.mark.parametrize(("component", "slugs"), [
    ("corpus", ["archive-search", "chat-assistant", "summariser"]),
    ("llm", ["chat-assistant", "summariser"]),
    ("tool", ["chat-assistant"]),
    ("agent", ["chat-assistant"]),
    ("payroll", ["payroll"]),
])
def test_blast_radius_lists_every_system_reaching_the_component_transitively(client_for, graph, component, slugs):
    body, _, _ = blast(client_for("responder"), graph[component])
    assert sorted(s["slug"] for s in body) == slugs


def test_blast_radius_names_owner_team_and_accountable_owner(client_for, graph):
    body, _, _ = blast(client_for("responder"), graph["tool"])
    assert body == [{
        "slug": "chat-assistant", "name": "Chat Assistant", "lifecycle": "production", "risk_class": "minimal",
        "owner_team": graph["team"].pk, "owner_team_name": "Assistants", "accountable_owner": "admin",
    }]


def test_blast_radius_reads_the_systems_in_one_query_whatever_the_graph_size(client_for, graph):
    client = client_for("responder")
    blast(client, graph["corpus"])  # warm per-session caches
    _, system_queries, total = blast(client, graph["corpus"])
    assert len(system_queries) == 1 and "RECURSIVE" in system_queries[0].upper()

    # Ten more systems reaching the corpus through a longer chain.
    previous = graph["llm"]
    for i in range(10):
        component = ComponentFactory(name=f"wrapper-{i}")
        services.dependency_add(actor=None, component=component, depends_on=previous)
        services.system_component_attach(actor=None, system=AISystemFactory(), component=component)
        previous = component
    body, system_queries, total_after = blast(client, graph["corpus"])
    assert len(body) == 13 and len(system_queries) == 1 and total_after == total


def test_blast_radius_of_an_unknown_component_is_not_found(client_for, graph):
    assert client_for("responder").get("/api/v1/components/999999/blast-radius/").status_code == 404
