"""Real-browser tests: headless Chromium (Debian's `chromium` and `chromium-driver`) against a live portal, in a
window 1,440 px wide, doing the users' tasks on the demo data of `seed_demo` (as after `make run`):

- leadership opens the governance dashboard: every chart drawn;
- every admin list fits the screen: none scrolls sideways;
- the responder files an incident, triages it and contains it on the RACI authority the demo gives them;
- compliance issues a GDPR Art. 33 notification from the obligation's page and downloads it;
- legal approves a disclosure decision from its page, then opens the incident's audit page and downloads the bundle.

Each page is checked for sideways scrolling and console errors (a Content-Security-Policy violation is one).
Screenshots are saved under `artifacts/browser/` (or `$BROWSER_ARTIFACTS_DIR`). Without Chromium these tests skip,
except under CI (`CI=true`), where `.ci/run` installs it and a missing browser is a failure.
"""

import os
import re
import shutil
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
CHROMEDRIVER = shutil.which("chromedriver")
ARTIFACTS = Path(os.environ.get("BROWSER_ARTIFACTS_DIR") or settings.BASE_DIR / "artifacts" / "browser")


def _require_browser():
    missing = [name for name, path in (("chromium", CHROMIUM), ("chromedriver", CHROMEDRIVER)) if not path]
    if not missing:
        return
    message = f"{' and '.join(missing)} not installed (Debian: apt-get install chromium chromium-driver)"
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"CI runs the browser tests: {message}")
    pytest.skip(message)


@pytest.fixture
def browser():
    _require_browser()
    webdriver = pytest.importorskip("selenium.webdriver")
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for argument in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                     "--disable-dev-shm-usage", "--window-size=1440,1000", "--lang=en-GB"):
        options.add_argument(argument)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(options=options, service=webdriver.ChromeService(executable_path=CHROMEDRIVER))
    driver.set_page_load_timeout(60)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    yield driver
    driver.quit()


@pytest.fixture
def demo_portal(live_server):
    """The live portal holding the demo data; returns its base URL."""
    call_command("seed_demo", stdout=open(os.devnull, "w"))  # noqa: SIM115 - closed with the process
    return live_server.url


def _console_errors(driver):
    """Console entries of level SEVERE since the last call (Chromium hands each entry out once)."""
    return [entry for entry in driver.get_log("browser") if entry["level"] == "SEVERE"]


def _log_in(driver, base_url, username):
    from selenium.webdriver.common.by import By

    driver.get(f"{base_url}/admin/login/?next=/admin/")
    driver.find_element(By.NAME, "username").send_keys(username)
    driver.find_element(By.NAME, "password").send_keys(settings.DEMO_PASSWORD)
    driver.find_element(By.CSS_SELECTOR, "input[type=submit]").click()
    _wait_for(driver, lambda d: d.find_elements(By.ID, "user-tools"), f"{username} to be signed in")


def _wait_for(driver, condition, what, timeout=30):
    from selenium.common.exceptions import TimeoutException
    from selenium.webdriver.support.ui import WebDriverWait

    try:
        return WebDriverWait(driver, timeout).until(condition)
    except TimeoutException:
        driver.save_screenshot(str(ARTIFACTS / "timeout.png"))
        pytest.fail(f"Timed out waiting for {what} on {driver.current_url}")


def _full_page_screenshot(driver, path):
    """The whole page, not only the window: the window is made as tall as the page for the shot."""
    width, height = driver.get_window_size()["width"], driver.get_window_size()["height"]
    page_height = driver.execute_script("return document.documentElement.scrollHeight")
    driver.set_window_size(width, max(height, page_height + 140))
    driver.save_screenshot(str(path))
    driver.set_window_size(width, height)


# How wide the page and the list are against the room they have: [page, viewport, list, list's box].
WIDTHS = """
var results = document.querySelector("#changelist .results");
return [document.documentElement.scrollWidth, document.documentElement.clientWidth,
        results ? results.scrollWidth : 0, results ? results.clientWidth : 0];
"""


def _assert_fits(driver, what):
    """No sideways scrolling: neither the page nor a list is wider than its room."""
    page, viewport, listed, room = driver.execute_script(WIDTHS)
    assert page <= viewport, f"{what} is {page} px wide in a {viewport} px window"
    assert listed <= room + 1, f"the list of {what} is {listed} px wide in a {room} px area"


def _checked(driver, what):
    """The page fits and logged no console error."""
    _assert_fits(driver, what)
    assert _console_errors(driver) == [], what


def _choose(driver, field, text):
    """Pick `text` in the autocomplete (select2) box of the form field named `field`, as a user types and clicks.
    Each keystroke's answer redraws the results: an option redrawn under the click is looked up again."""
    from selenium.common.exceptions import StaleElementReferenceException
    from selenium.webdriver.common.by import By

    def offered(d):
        try:
            return [o for o in d.find_elements(By.CSS_SELECTOR, ".select2-results__option") if text in o.text]
        except StaleElementReferenceException:
            return []

    driver.find_element(By.CSS_SELECTOR, f"select[name='{field}'] + .select2 .select2-selection").click()
    search = _wait_for(driver, lambda d: d.find_elements(
        By.CSS_SELECTOR, ".select2-container--open .select2-search__field"), f"the search box of {field}")[0]
    search.send_keys(text[:12])
    for _attempt in range(5):
        option = _wait_for(driver, offered, f"{text} offered in {field}")[0]
        try:
            option.click()
            return
        except StaleElementReferenceException:
            continue
    pytest.fail(f"{text} in {field} was redrawn under every click")


FETCH_DIGEST = """
var done = arguments[arguments.length - 1];
fetch(arguments[0], {credentials: "same-origin"})
  .then(function (response) { return response.arrayBuffer(); })
  .then(function (body) {
    var head = String.fromCharCode.apply(null, new Uint8Array(body.slice(0, 5)));
    return crypto.subtle.digest("SHA-256", body).then(function (hash) {
      done(head + " " + Array.from(new Uint8Array(hash))
        .map(function (b) { return b.toString(16).padStart(2, "0"); }).join(""));
    });
  })
  .catch(function (error) { done("failed " + error); });
"""


def _download(driver, url):
    """What the browser downloads from `url`: its first five bytes and its SHA-256, as "%PDF- <hex>"."""
    driver.set_script_timeout(120)
    return driver.execute_async_script(FETCH_DIGEST, url)


# Each chart: Chart.js attached to the canvas, with data, and pixels actually painted.
CHARTS_STATE = """
return Array.from(document.querySelectorAll("canvas[data-chart]")).map(function (canvas) {
  var chart = window.Chart && window.Chart.getChart(canvas);
  var painted = 0;
  if (canvas.width && canvas.height) {
    var pixels = canvas.getContext("2d").getImageData(0, 0, canvas.width, canvas.height).data;
    for (var i = 3; i < pixels.length; i += 4) { if (pixels[i] !== 0) { painted++; } }
  }
  return {id: canvas.dataset.chart, drawn: !!chart, datasets: chart ? chart.data.datasets.length : 0,
          width: canvas.width, height: canvas.height, painted: painted};
});
"""


def test_leadership_sees_every_dashboard_chart_drawn_and_every_admin_list_fits_the_screen(browser, demo_portal):
    import json

    from selenium.webdriver.common.by import By

    _log_in(browser, demo_portal, "leadership")
    _console_errors(browser)  # the admin index, checked below for its own sake
    browser.get(f"{demo_portal}/dashboard/")
    _wait_for(browser, lambda d: d.find_elements(By.CSS_SELECTOR, "canvas[data-chart]"), "the dashboard's charts")
    _full_page_screenshot(browser, ARTIFACTS / "dashboard-leadership.png")
    _assert_fits(browser, "the dashboard")

    specs = json.loads(browser.find_element(By.ID, "dashboard-charts").get_attribute("textContent"))
    charts = browser.execute_script(CHARTS_STATE)
    assert {chart["id"] for chart in charts} == set(specs), "every chart specification has its canvas"
    assert len(charts) >= 8
    undrawn = [chart for chart in charts
               if not (chart["drawn"] and chart["datasets"] and chart["width"] and chart["painted"])]
    assert not undrawn, f"charts not drawn: {undrawn}"
    assert _console_errors(browser) == []

    # The page is readable at a glance: the headline figures are there, with the demo's real numbers.
    assert "Open incidents by severity" in browser.find_element(By.ID, "content-main").text

    # A bar opens the admin list behind it.
    link = browser.find_element(By.CSS_SELECTOR, ".dashboard-figure h3 a").get_attribute("href")
    browser.get(link)
    assert "/admin/" in browser.current_url
    assert _console_errors(browser) == []

    # Every admin list, as the superuser who sees them all: none scrolls sideways at 1,440 px.
    _every_admin_list_fits_a_1440_px_screen(browser, demo_portal)


def _every_admin_list_fits_a_1440_px_screen(browser, demo_portal):
    from selenium.webdriver.common.by import By

    browser.delete_all_cookies()
    _log_in(browser, demo_portal, "admin")  # the superuser: every list of the admin
    lists = sorted({a.get_attribute("href") for a in browser.find_elements(By.CSS_SELECTOR, "#content-main a")
                    if re.fullmatch(r".*/admin/\w+/\w+/", a.get_attribute("href") or "")})
    assert len(lists) >= 20, lists
    for url in lists:
        browser.get(url)
        _wait_for(browser, lambda d: d.find_elements(By.ID, "changelist"), f"the list at {url}")
        _checked(browser, url)
        name = url.rstrip("/").rsplit("/", 2)
        if name[-1] in ("incident", "obligation", "deadlineboardentry", "disclosuredecision", "document"):
            browser.save_screenshot(str(ARTIFACTS / f"list-{name[-1]}.png"))


def _responder_files_triages_and_contains_an_incident_on_their_raci_authority(browser, demo_portal):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.select import Select

    from incidents.models import AUTHORITY_FOR, ContainmentAction, Incident
    from incidents.services.containment import COMPONENT_KINDS
    from inventory.models import RaciAssignment

    # The demo gives the responder containment authority (Responsible or Accountable) on the systems it uses.
    kinds = {activity: kind for kind, activity in AUTHORITY_FOR.items() if kind not in COMPONENT_KINDS}
    held = (RaciAssignment.objects.filter(user__username="responder", role__in=["responsible", "accountable"],
                                          activity__in=list(kinds))
            .select_related("system").order_by("system__name").first())
    assert held is not None, "the demo responder holds a containment activity on some system"
    system, kind = held.system, kinds[held.activity]

    browser.delete_all_cookies()
    _log_in(browser, demo_portal, "responder")
    browser.get(f"{demo_portal}/admin/incidents/incident/add/")
    browser.find_element(By.NAME, "title").send_keys("Support bot quoting other customers' tickets")
    browser.find_element(By.NAME, "summary").send_keys("Two customers reported seeing other people's ticket text.")
    Select(browser.find_element(By.NAME, "track")).select_by_value("security")
    Select(browser.find_element(By.NAME, "incident_class")).select_by_index(1)
    Select(browser.find_element(By.NAME, "severity")).select_by_value("p1")
    _choose(browser, "systems", system.name)
    _checked(browser, "the new incident form")
    browser.save_screenshot(str(ARTIFACTS / "responder-file.png"))
    browser.find_element(By.NAME, "_continue").click()
    _wait_for(browser, lambda d: d.find_elements(By.NAME, "move_to"), "the new incident's page")
    incident = Incident.objects.get(title="Support bot quoting other customers' tickets")
    assert incident.status == "detected" and list(incident.systems.all()) == [system]
    # A new incident: no recovery validation or review forms yet.
    assert not browser.find_elements(By.CSS_SELECTOR, "[name^='recovery_validations-'], [name^='review-']")
    _checked(browser, "the new incident's page")

    # Triage.
    Select(browser.find_element(By.NAME, "move_to")).select_by_value("triaged")
    browser.find_element(By.NAME, "note").send_keys("Confirmed from two tickets; P1.")
    browser.find_element(By.NAME, "_continue").click()
    _wait_for(browser, lambda d: d.find_elements(By.CSS_SELECTOR, "ul.messagelist li"), "the triage message")
    incident.refresh_from_db()
    assert incident.status == "triaged", browser.find_element(By.ID, "content").text[:2000]

    # Contain, on the RACI authority the responder holds.
    add = browser.find_element(By.XPATH, "//select[contains(@name, '__prefix__-kind')]/ancestor::div"
                                         "[contains(@class, 'inline-group')]//*[contains(@class, 'add-row')]//a")
    browser.execute_script("arguments[0].scrollIntoView({block: 'center'});", add)
    add.click()
    kind_select = _wait_for(browser, lambda d: [e for e in d.find_elements(By.CSS_SELECTOR, "select[name$='-0-kind']")
                                                if "containment" in e.get_attribute("name")], "a containment row")[0]
    prefix = kind_select.get_attribute("name").removesuffix("-kind")
    Select(kind_select).select_by_value(kind)
    _choose(browser, f"{prefix}-target_system", system.name)
    browser.find_element(By.NAME, f"{prefix}-description").send_keys("Endpoint suspended while we investigate.")
    browser.find_element(By.NAME, f"{prefix}-outcome").send_keys("No further replies served.")
    browser.find_element(By.NAME, "_continue").click()
    _wait_for(browser, lambda d: d.find_elements(By.CSS_SELECTOR, "ul.messagelist li"), "the containment message")
    _full_page_screenshot(browser, ARTIFACTS / "responder-contained.png")
    action = ContainmentAction.objects.filter(incident=incident).first()
    assert action is not None, browser.find_element(By.ID, "content").text[:2000]
    assert action.performed_by.username == "responder" and not action.is_override and action.authority
    _checked(browser, "the contained incident's page")


def _compliance_issues_a_gdpr_notification_from_the_obligations_page_and_downloads_it(browser, demo_portal):
    from selenium.webdriver.common.by import By

    from reporting.models import Document, Obligation
    from reporting.models.document import DocumentKind

    obligation = (Obligation.objects.filter(status=Obligation.Status.OPEN, documents__isnull=True,
                                            regime="gdpr", stage="notification")
                  .order_by("due_at").first())
    assert obligation is not None, "the demo data has an open GDPR Art. 33 notification not issued yet"

    browser.delete_all_cookies()
    _log_in(browser, demo_portal, "compliance")
    browser.get(f"{demo_portal}/admin/reporting/obligation/{obligation.pk}/change/")
    _checked(browser, "the obligation's page")
    browser.save_screenshot(str(ARTIFACTS / "notification-obligation.png"))
    browser.find_element(By.XPATH, "//button[normalize-space()='Issue the notification PDF']").click()
    # The button asks first (a correction would need its reason), then issues.
    _wait_for(browser, lambda d: d.find_elements(By.XPATH, "//h1[contains(., 'Issue regulatory notifications')]"),
              "the confirmation page")
    assert obligation.stage_name in browser.find_element(By.ID, "content").text
    _checked(browser, "the confirmation page")
    browser.save_screenshot(str(ARTIFACTS / "notification-confirm.png"))
    browser.find_element(By.XPATH, "//input[@type='submit' and @value='Issue']").click()
    message = _wait_for(browser, lambda d: d.find_elements(By.CSS_SELECTOR, "ul.messagelist li"),
                        "the action's message")[0]
    browser.save_screenshot(str(ARTIFACTS / "notification-issued.png"))
    assert "error" not in message.get_attribute("class"), message.text
    assert f"/reporting/obligation/{obligation.pk}/change/" in browser.current_url  # back on the obligation

    document = Document.objects.get(obligation=obligation, kind=DocumentKind.REGULATORY_NOTIFICATION)
    assert document.issued_by.username == "compliance"
    # The message links the PDF; the browser downloads the file with the recorded digest.
    link = message.find_element(By.LINK_TEXT, "Download the PDF").get_attribute("href")
    assert link.endswith(f"/reporting/document/{document.pk}/download/")
    assert _download(browser, link) == f"%PDF- {document.sha256}"
    assert browser.find_elements(By.XPATH, "//a[normalize-space()='Download the latest PDF (v1)']")
    _checked(browser, "the obligation's page after issuing")

    # A disclosure decision about it: the obligation list holds the chosen incident's obligations only.
    browser.get(f"{demo_portal}/admin/reporting/disclosuredecision/add/")
    _choose(browser, "incident", obligation.incident.reference)
    offered = _wait_for(browser, lambda d: [o.get_attribute("value") for o in d.find_elements(
        By.CSS_SELECTOR, "select[name='obligation'] option") if o.get_attribute("value")], "the incident's obligations")
    assert set(offered) == {str(pk) for pk in obligation.incident.obligations.values_list("pk", flat=True)}
    _checked(browser, "the disclosure decision form")


def _legal_approves_a_decision_from_its_page_and_downloads_the_audit_bundle(browser, demo_portal):
    from selenium.webdriver.common.by import By

    from reporting.models import DisclosureDecision

    decision = DisclosureDecision.objects.filter(status=DisclosureDecision.Status.PROPOSED).order_by("pk").first()
    assert decision is not None, "the demo data has a decision awaiting legal approval"

    browser.delete_all_cookies()
    _log_in(browser, demo_portal, "legal")
    browser.get(f"{demo_portal}/admin/reporting/disclosuredecision/{decision.pk}/change/")
    _checked(browser, "the decision's page")
    browser.save_screenshot(str(ARTIFACTS / "decision-legal.png"))
    browser.find_element(By.XPATH, "//button[normalize-space()='Approve']").click()
    _wait_for(browser, lambda d: d.find_elements(By.NAME, "note"), "the approval page")
    browser.find_element(By.NAME, "note").send_keys("Consistent with our posture; approved.")
    browser.find_element(By.XPATH, "//input[@type='submit' and @value='Approve']").click()
    message = _wait_for(browser, lambda d: d.find_elements(By.CSS_SELECTOR, "ul.messagelist li"),
                        "the approval message")[0]
    assert "error" not in message.get_attribute("class"), message.text
    assert message.text.startswith("Approved:")
    decision.refresh_from_db()
    assert decision.status == DisclosureDecision.Status.APPROVED and decision.approved_by.username == "legal"
    assert decision.review_note == "Consistent with our posture; approved."
    _checked(browser, "the approved decision's page")

    # The incident's audit page, and its bundle as a PDF.
    browser.get(f"{demo_portal}/audit/incidents/{decision.incident.reference}/")
    _wait_for(browser, lambda d: d.find_elements(By.CSS_SELECTOR, "a[href$='/bundle.pdf']"), "the audit page")
    _full_page_screenshot(browser, ARTIFACTS / "audit-legal.png")
    _checked(browser, "the audit page")
    link = browser.find_element(By.CSS_SELECTOR, "a[href$='/bundle.pdf']").get_attribute("href")
    assert "HistoricalIncident" not in browser.find_element(By.ID, "content").text  # tables named in words
    assert _download(browser, link).startswith("%PDF- ")
    assert _console_errors(browser) == []


# The tasks run one after another on one seeded portal (seeding takes seconds; the steps do not depend on each other's
# records, each signs in afresh).

def test_responder_compliance_and_legal_do_their_tasks_from_the_records_pages(browser, demo_portal):
    _responder_files_triages_and_contains_an_incident_on_their_raci_authority(browser, demo_portal)
    _compliance_issues_a_gdpr_notification_from_the_obligations_page_and_downloads_it(browser, demo_portal)
    _legal_approves_a_decision_from_its_page_and_downloads_the_audit_bundle(browser, demo_portal)
