"""The page: a canvas per chart, the vendored Chart.js (no CDN), no inline script but the json_script data, the
numbers in tables, and links to admin lists that open for the same user and list what the figure counts."""

import json
import re
from datetime import UTC
from html.parser import HTMLParser
from urllib.parse import urlsplit

import pytest
from django.templatetags.static import static
from django.urls import reverse

from portal.core import roles
from reporting.dashboard.presenters import FIGURES

pytestmark = pytest.mark.django_db

CHART_IDS = ["open-by-severity", "open-by-status", "deadlines", "detection-times", "acknowledge-times",
             "response-times", "mttd-by-class",
             "mttd-by-source", "track-intent", "risk-classes", "readiness-gaps", "csf-coverage", "atlas-coverage",
             "inference-logs", "on-time-filing"]


class PageParser(HTMLParser):
    def __init__(self):
        super().__init__()
        self.scripts, self.canvases, self.links, self.handlers = [], [], [], []
        self._script = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        self.handlers += [name for name in attrs if name.startswith("on")]
        if tag == "script":
            self._script = {**attrs, "body": ""}
            self.scripts.append(self._script)
        elif tag == "canvas":
            self.canvases.append(attrs)
        elif tag == "a" and attrs.get("href"):
            self.links.append(attrs["href"])

    def handle_data(self, data):
        if self._script is not None:
            self._script["body"] += data

    def handle_endtag(self, tag):
        if tag == "script":
            self._script = None


@pytest.fixture
def page(client_as, incident_scene, inventory_scene, obligation_scene):
    client = client_as(roles.LEADERSHIP)
    response = client.get(reverse("dashboard:index"))
    assert response.status_code == 200
    parser = PageParser()
    parser.feed(response.content.decode())
    return response, parser, client


def test_every_chart_has_a_canvas_with_an_id_and_data(page):
    _, parsed, _ = page
    assert [c["data-chart"] for c in parsed.canvases] == CHART_IDS
    assert [c["id"] for c in parsed.canvases] == [f"chart-{name}" for name in CHART_IDS]
    (data,) = [s for s in parsed.scripts if s.get("id") == "dashboard-charts"]
    charts = json.loads(data["body"])
    assert list(charts) == CHART_IDS
    assert charts["open-by-severity"]["datasets"][0]["data"] == [1, 2 + 6, 1, 0]  # with the 6 P1 breaches
    assert sum(len(builders) for builders in FIGURES.values()) == len(CHART_IDS)


def test_scripts_are_static_files_or_json_data_only(page):
    _, parsed, _ = page
    inline = [s for s in parsed.scripts if "src" not in s]
    assert inline and all(s.get("type") == "application/json" for s in inline)
    sources = [s["src"] for s in parsed.scripts if "src" in s]
    chart_js = static("reporting/vendor/chartjs/chart.umd.min.js")
    assert chart_js in sources
    assert sources.index(chart_js) < sources.index(static("reporting/dashboard/dashboard.js"))
    assert all(urlsplit(src).netloc == "" for src in sources), "no CDN: every script is served by the portal"
    assert parsed.handlers == []


def test_the_numbers_are_on_the_page_without_script(page):
    response, _, _ = page
    html = response.content.decode()
    text = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))
    assert "10 open incidents (not closed or dismissed)" in text  # 4 + the 6 breaches of the obligation scene
    assert "Of 3 high-risk AI systems" in text
    assert "1 of 10 incidents (not dismissed) has complete inference logs" in text
    assert "30.0 h" in text  # median time to submission
    assert "SLA breaches now" in text
    for table_cell in ('<td class="num">3.0</td>', '<td class="num">24.0</td>'):  # MTTD and MTTR of last month
        assert table_cell in html


def test_sla_breaches_and_soonest_deadlines_link_to_their_records(page, incident_scene, obligation_scene):
    _, parsed, _ = page
    assert reverse("admin:incidents_incident_change", args=[incident_scene.i4.pk]) in parsed.links
    overdue = obligation_scene.notification(obligation_scene.overdue)
    assert reverse("admin:reporting_obligation_change", args=[overdue.pk]) in parsed.links


def test_every_admin_link_opens_for_the_same_user(page):
    _, parsed, client = page
    targets = sorted({href for href in parsed.links if href.startswith("/admin/") and "logout" not in href})
    assert len(targets) > 40
    failures = {}
    for href in targets:
        response = client.get(href)
        if response.status_code != 200:
            failures[href] = (response.status_code, response.get("Location"))
    assert failures == {}


def _result_count(client, href):
    response = client.get(href)
    assert response.status_code == 200, href
    return response.context["cl"].result_count


def test_the_admin_lists_behind_the_bars_hold_what_the_bars_count(page):
    response, _, client = page
    checked = 0
    for section in response.context["figures"].values():
        for figure in section:
            if figure.id in ("csf-coverage", "detection-times", "acknowledge-times", "response-times", "mttd-by-class",
                             "mttd-by-source"):
                continue  # steps and means: not a count of the records linked
            for row in figure.rows:
                if figure.id == "deadlines" and row["label"].startswith("Due in 1 to"):
                    continue  # the board's "due later" list, soonest first (those within 7 days on top)
                if figure.id == "atlas-coverage" and not row["values"][0]:
                    continue  # the tactic's techniques (see below)
                assert _result_count(client, row["url"]) == row["values"][0], (figure.id, row["label"])
                checked += 1
    assert checked > 30


def test_the_month_links_list_the_incidents_detected_that_month(page, incident_scene):
    response, _, client = page
    months = {r["month"].strftime("%Y-%m"): r["incidents"] for r in response.context["metrics"].response_times}
    for figure in response.context["figures"]["response"]:
        for row in figure.rows:
            assert _result_count(client, row["url"]) == months[row["label"]]


def test_csf_links_list_the_runbook_steps_of_the_function(page):
    response, _, client = page
    (figure, _) = response.context["figures"]["coverage"]
    respond = next(row for row in figure.rows if row["label"].startswith("RS "))
    listed = client.get(respond["url"]).context["cl"].result_list
    assert listed and {step.csf_category.function_id for step in listed} == {"RS"}


def test_a_tactic_without_incidents_links_to_its_techniques(page):
    response, _, client = page
    (_, figure) = response.context["figures"]["coverage"]
    reconnaissance = next(row for row in figure.rows if row["label"] == "Reconnaissance")
    assert reconnaissance["values"] == [0]
    listed = client.get(reconnaissance["url"]).context["cl"].result_list
    assert listed and all("AML.TA0002" in {t.id for t in technique.tactics.all()} for technique in listed)


def test_times_are_shown_in_utc_whatever_the_site_zone(settings, client_as, incident_scene):
    settings.TIME_ZONE = "Asia/Tokyo"
    html = client_as(roles.LEADERSHIP).get(reverse("dashboard:index")).content.decode()
    due = incident_scene.i4.sla_next_due_at.astimezone(UTC)
    assert f"<td>{due:%Y-%m-%d %H:%M}</td>" in html


def _text(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def test_mttd_has_its_own_chart_and_scale_and_every_line_is_straight(page):
    _, parsed, _ = page
    (data,) = [s for s in parsed.scripts if s.get("id") == "dashboard-charts"]
    charts = json.loads(data["body"])
    detection, response_times = charts["detection-times"], charts["response-times"]
    assert [d["label"] for d in detection["datasets"]] == ["MTTD (detect)"]
    assert [d["label"] for d in charts["acknowledge-times"]["datasets"]] == ["MTTA (acknowledge)"]
    assert [d["label"] for d in response_times["datasets"]] == ["MTTC (contain)", "MTTR (recover)"]
    lines = [spec for spec in charts.values() if spec["type"] == "line"]
    assert len(lines) == 3
    for spec in lines:
        assert (spec["tension"], spec["span_gaps"]) == (0, False)
        assert spec["label_axis"] == "Month of detection (UTC)"
    assert [spec["unit"] for spec in lines] == ["hours", "minutes", "hours"]
    assert detection["datasets"][0]["data"][-2] == 3.0  # last month: MTTD 2 h and 4 h
    assert response_times["datasets"][1]["data"][-2] == 24.0  # and its MTTR
    assert charts["acknowledge-times"]["datasets"][0]["data"][-2] == 60.0  # MTTA (0.5 h + 1.5 h) / 2, in minutes


def test_the_sla_breach_list_names_each_incident_by_reference_and_title(page, incident_scene):
    response, _, _ = page
    html = response.content.decode()
    panel = html[html.index('id="sla-breaches"'):html.index('id="h-deadlines"')]
    url = reverse("admin:incidents_incident_change", args=[incident_scene.i4.pk])
    assert f'<a href="{url}">{incident_scene.i4.reference}</a>' in panel
    assert f'<a href="{url}">Model inversion</a>' in panel
    assert "Evasion of the fraud model" in panel


@pytest.mark.parametrize(("overdue", "words"), [(1, "1 regulatory deadline overdue"),
                                                (2, "2 regulatory deadlines overdue")])
def test_counts_agree_in_number_with_their_nouns(client_as, compliance, overdue, words):
    from datetime import timedelta

    from django.utils import timezone

    from reporting.tests.factories import breach_incident

    for i in range(overdue):
        breach_incident(compliance, aware_at=timezone.now() - timedelta(hours=100 + i), title=f"Late breach {i}")
    text = _text(client_as(roles.LEADERSHIP).get(reverse("dashboard:index")).content.decode())
    assert words in text
    incidents = "1 open incident " if overdue == 1 else "2 open incidents "
    assert incidents in text
    assert f"{incidents}(not closed or dismissed)" in text
