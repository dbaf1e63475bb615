"""Real-browser tests: headless Chromium (Debian's `chromium` and `chromium-driver`) against a live portal.

The demo data of `seed_demo` is loaded, as after `make run`. The leadership login opens the governance dashboard and
every chart must be drawn with no console error (a Content-Security-Policy violation is one); the compliance login
issues a notification PDF from the admin. Screenshots are saved under `artifacts/browser/` (or
`$BROWSER_ARTIFACTS_DIR`). Without Chromium these tests skip, except under CI (`CI=true`), where `.ci/run` installs it
and a missing browser is a failure.
"""

import os
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
                     "--disable-dev-shm-usage", "--window-size=1400,1000", "--lang=en-GB"):
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


def test_leadership_sees_every_dashboard_chart_drawn_without_console_errors(browser, demo_portal):
    import json

    from selenium.webdriver.common.by import By

    _log_in(browser, demo_portal, "leadership")
    _console_errors(browser)  # the admin index, checked below for its own sake
    browser.get(f"{demo_portal}/dashboard/")
    _wait_for(browser, lambda d: d.find_elements(By.CSS_SELECTOR, "canvas[data-chart]"), "the dashboard's charts")
    _full_page_screenshot(browser, ARTIFACTS / "dashboard-leadership.png")

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


def test_compliance_officer_issues_a_notification_pdf_from_the_admin(browser, demo_portal):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.select import Select

    from reporting.models import Document, Obligation
    from reporting.models.document import DocumentKind

    obligation = (Obligation.objects.filter(status=Obligation.Status.OPEN, documents__isnull=True,
                                            regime="gdpr", stage="notification")
                  .order_by("due_at").first())
    assert obligation is not None, "the demo data has an open GDPR Art. 33 notification not issued yet"

    _log_in(browser, demo_portal, "compliance")
    browser.get(f"{demo_portal}/admin/reporting/obligation/?id__exact={obligation.pk}")
    _wait_for(browser, lambda d: d.find_elements(By.ID, "result_list"), "the obligation list")
    browser.find_element(By.CSS_SELECTOR, f"input.action-select[value='{obligation.pk}']").click()
    Select(browser.find_element(By.NAME, "action")).select_by_value("issue_notification")
    browser.find_element(By.CSS_SELECTOR, "button[name=index]").click()
    # The action asks first (a correction would need its reason), then issues.
    _wait_for(browser, lambda d: d.find_elements(By.XPATH, "//h1[contains(., 'Issue regulatory notifications')]"),
              "the confirmation page")
    assert obligation.stage_name in browser.find_element(By.ID, "content").text
    browser.save_screenshot(str(ARTIFACTS / "notification-confirm.png"))
    browser.find_element(By.XPATH, "//input[@type='submit' and @value='Issue'] | //button[normalize-space()='Issue']"
                         ).click()
    message = _wait_for(browser, lambda d: d.find_elements(By.CSS_SELECTOR, "ul.messagelist li"),
                        "the action's message")[0]
    browser.save_screenshot(str(ARTIFACTS / "notification-issued.png"))
    assert "error" not in message.get_attribute("class"), message.text

    document = Document.objects.get(obligation=obligation, kind=DocumentKind.REGULATORY_NOTIFICATION)
    assert document.issued_by.username == "compliance"

    # The document list links the file, and the browser downloads a PDF with the recorded digest.
    browser.get(f"{demo_portal}/admin/reporting/document/{document.pk}/change/")
    download = browser.find_element(By.CSS_SELECTOR, f"a[href$='/reporting/document/{document.pk}/download/']")
    browser.save_screenshot(str(ARTIFACTS / "notification-document.png"))
    digest = browser.execute_async_script(
        """
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
        """,
        download.get_attribute("href"),
    )
    assert digest == f"%PDF- {document.sha256}"
    assert _console_errors(browser) == []
