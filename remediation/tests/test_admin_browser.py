"""The ledger in a real browser (headless Chromium, 1,440 px wide, as `portal/tests/test_browser.py`): a compliance
officer's list of records with every column filled fits the screen, "select all" offers every record the filter
matches, and a record's page offers its moves as buttons; no console error (a Content-Security-Policy violation is
one)."""

import pytest
from django.utils import timezone

from incidents.tests.factories import open_incident
from inventory.tests.factories import make_small_inventory
from portal.core import roles
from portal.tests.factories import make_role_users
from portal.tests.test_browser import ARTIFACTS, _checked, _wait_for, browser  # noqa: F401  # the fixture
from remediation.models import AffectedRecord

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

PASSWORD = "a-long-test-password"  # portal.tests.factories.make_user's


def test_the_ledger_list_fits_the_screen_and_select_all_names_the_filter(browser, live_server):  # noqa: F811
    from selenium.webdriver.common.by import By

    users = make_role_users()
    officer, responder = users[roles.COMPLIANCE_OFFICER], users[roles.INCIDENT_RESPONDER]
    responder.first_name, responder.last_name = "Maximiliane", "Oberhausen-Schwarzenberg"
    responder.save()
    inventory = make_small_inventory(actor=users["admin"], members=[responder])
    incident = open_incident(officer, title="Credit model scored declared income wrongly")
    now = timezone.now()
    AffectedRecord.objects.bulk_create([
        AffectedRecord(incident=incident, external_id=f"loan-application-2026-{i:08d}", kind="transaction",
                       state="redress_declined", jurisdiction="DE", contact_channel="in_app", occurred_at=now,
                       system=inventory.system, component=inventory.model, reviewer=responder,
                       state_changed_at=now, state_changed_by=responder, updated_at=now) for i in range(60)])

    browser.get(f"{live_server.url}/admin/login/?next=/admin/remediation/affectedrecord/")
    browser.find_element(By.NAME, "username").send_keys(officer.username)
    browser.find_element(By.NAME, "password").send_keys(PASSWORD)
    browser.find_element(By.CSS_SELECTOR, "input[type=submit]").click()
    _wait_for(browser, lambda d: d.find_elements(By.ID, "changelist"), "the ledger list")
    browser.save_screenshot(str(ARTIFACTS / "ledger-list.png"))
    _checked(browser, "the ledger list")

    browser.find_element(By.ID, "action-toggle").click()
    question = browser.find_element(By.CSS_SELECTOR, ".actions .question a")
    assert question.text == "Select all 60 affected records matching the filter"
    question.click()
    assert browser.find_element(By.NAME, "select_across").get_attribute("value") == "1"

    browser.find_element(By.LINK_TEXT, "loan-application-2026-00000000").click()
    _wait_for(browser, lambda d: d.find_elements(By.CSS_SELECTOR, ".record-actions button"), "the record's buttons")
    assert [b.text.lower() for b in browser.find_elements(By.CSS_SELECTOR, ".record-actions button")] == [
        "move to notified…", "put in a queue…"]
    browser.save_screenshot(str(ARTIFACTS / "ledger-record.png"))
    _checked(browser, "an affected record's page")
