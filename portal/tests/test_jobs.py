"""Background jobs (portal.core.jobs): started once per idempotency key, claimed by one worker, progress without
history rows, errors in words, the job page and list, who may see a job and its result file."""

import logging
import threading

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from portal.core import roles
from portal.core.jobs import JobFailed, JobKind, JobResult, dispatch, files, job_run, job_start, register
from portal.core.jobs.dispatch import start_thread
from portal.core.jobs.models import Job, JobState
from portal.core.jobs.schedule import EmbeddedScheduler

pytestmark = pytest.mark.django_db


def _count(*, job, progress):
    total = job.params.get("total", 3)
    for done in range(1, total + 1):
        progress(done, total)
    if job.params.get("file"):
        name = files.save_result(job, "count.txt", b"counted\n")
        return JobResult(summary=f"Counted {total}.", file=name, label="count.txt")
    return JobResult(summary=f"Counted {total}.", url="/admin/", label="the admin")


def _refuse(*, job, progress):
    if job.params.get("words"):
        raise JobFailed("The BOM names no component.")
    if job.params.get("invalid"):
        raise ValidationError({"system_slug": "No AI system with this slug."})
    raise RuntimeError("secret internals /srv/portal/x.py line 3")


COUNT = register(JobKind(name="tests.count", label="Counting", run=_count, unit="items",
                         viewer_roles=frozenset({roles.AUDITOR})))
REFUSE = register(JobKind(name="tests.refuse", label="Refusing", run=_refuse))


@pytest.fixture
def job_files(settings, tmp_path):
    settings.JOB_RESULT_DIR = str(tmp_path / "jobs")
    return tmp_path / "jobs"


def test_a_job_runs_to_success_with_its_progress_times_and_result(role_users):
    starter = role_users[roles.COMPLIANCE_OFFICER]
    job, created = job_start(actor=starter, kind=COUNT.name, params={"total": 5})
    job.refresh_from_db()
    assert created and job.state == JobState.SUCCEEDED and job.started_by == starter
    assert job.progress_text == "5 of 5 items (100 %)" and job.summary == "Counted 5."
    assert job.created_at <= job.started_at <= job.finished_at
    assert (job.result_url, job.result_label, job.error) == ("/admin/", "the admin", "")


def test_history_records_the_states_not_the_progress(role_users):
    job, _ = job_start(actor=role_users["admin"], kind=COUNT.name, params={"total": 50})
    states = list(job.history.order_by("history_id").values_list("state", "history_user__username"))
    assert states == [("queued", "admin"), ("running", "admin"), ("succeeded", "admin")]


def test_progress_text_reads_like_a_sentence():
    job = Job(progress_done=1200, progress_total=25000, progress_unit="components")
    assert job.progress_text == "1,200 of 25,000 components (4 %)"


def test_starting_the_same_work_twice_gives_the_same_job_and_a_second_worker_does_nothing(settings, role_users):
    settings.JOBS_EXECUTION = "thread"  # handed over on commit, which a test never reaches: the job stays queued
    first, created = job_start(actor=role_users["admin"], kind=COUNT.name, idempotency_key="count:1")
    again, created_again = job_start(actor=role_users[roles.AUDITOR], kind=COUNT.name, idempotency_key="count:1")
    assert created and not created_again and again.pk == first.pk
    assert job_run(first.pk).state == JobState.SUCCEEDED
    assert job_run(first.pk) is None  # the same job delivered twice, or to two workers
    assert Job.objects.get(pk=first.pk).history.count() == 3
    # Once finished, the key is free again: new work, a new job.
    later, created_later = job_start(actor=role_users["admin"], kind=COUNT.name, idempotency_key="count:1")
    assert created_later and later.pk != first.pk


def test_a_foreseen_failure_is_shown_in_its_words(role_users):
    job, _ = job_start(actor=role_users["admin"], kind=REFUSE.name, params={"words": True})
    job.refresh_from_db()
    assert (job.state, job.error) == (JobState.FAILED, "The BOM names no component.")
    invalid, _ = job_start(actor=role_users["admin"], kind=REFUSE.name, params={"invalid": True})
    invalid.refresh_from_db()
    assert invalid.error == "system_slug: No AI system with this slug."


def test_an_unexpected_failure_shows_no_traceback_and_logs_it(role_users, caplog):
    with caplog.at_level(logging.ERROR, logger="portal.core.jobs.services"):
        job, _ = job_start(actor=role_users["admin"], kind=REFUSE.name)
    job.refresh_from_db()
    assert job.state == JobState.FAILED
    assert job.error.startswith("The job failed unexpectedly") and "secret" not in job.error
    assert "Traceback" not in job.error
    assert any(r.exc_info and "secret internals" in str(r.exc_info[1]) for r in caplog.records)


def test_the_job_page_reloads_itself_until_the_job_is_done(settings, role_users, client_as):
    settings.JOBS_EXECUTION = "thread"
    job, _ = job_start(actor=role_users[roles.COMPLIANCE_OFFICER], kind=COUNT.name, params={"total": 4})
    page = reverse("admin:core_job_change", args=[job.pk])
    queued = client_as(roles.COMPLIANCE_OFFICER).get(page)
    assert queued.status_code == 200
    assert b'http-equiv="refresh"' in queued.content and b"queued" in queued.content
    job_run(job.pk)
    done = client_as(roles.COMPLIANCE_OFFICER).get(page)
    assert b'http-equiv="refresh"' not in done.content
    assert b"4 of 4 items (100 %)" in done.content and b'href="/admin/"' in done.content


def test_a_job_is_seen_by_its_starter_and_the_roles_of_its_result_only(role_users, client_as):
    job, _ = job_start(actor=role_users[roles.INCIDENT_RESPONDER], kind=COUNT.name)
    page = reverse("admin:core_job_change", args=[job.pk])
    listing = reverse("admin:core_job_changelist")
    for role, visible in ((roles.INCIDENT_RESPONDER, True), (roles.AUDITOR, True), ("admin", True),
                          (roles.LEADERSHIP, False), (roles.LEGAL_REVIEWER, False)):
        client = client_as(role)
        assert (client.get(page).status_code == 200) is visible, role
        assert (page.encode() in client.get(listing).content) is visible, role


def test_a_result_file_is_served_only_to_who_may_see_the_job(job_files, role_users, client_as):
    job, _ = job_start(actor=role_users[roles.INCIDENT_RESPONDER], kind=COUNT.name, params={"file": True})
    job.refresh_from_db()
    assert (job_files / job.result_file).read_bytes() == b"counted\n"
    url = reverse("admin:core_job_result", args=[job.pk])
    response = client_as(roles.AUDITOR).get(url)
    assert response.status_code == 200 and b"".join(response.streaming_content) == b"counted\n"
    assert "attachment" in response["Content-Disposition"]
    assert client_as(roles.LEADERSHIP).get(url).status_code == 403
    assert client_as(None).get(url).status_code == 302  # the login page


def test_the_job_list_runs_a_constant_number_of_queries(settings, role_users, client_as):
    settings.JOBS_EXECUTION = "thread"
    client = client_as(roles.AUDITOR)
    url = reverse("admin:core_job_changelist")

    def queries(rows):
        for _ in range(rows - Job.objects.count()):
            job_start(actor=role_users[roles.INCIDENT_RESPONDER], kind=COUNT.name)
        with CaptureQueriesContext(connection) as captured:
            assert client.get(url).status_code == 200
        return len(captured)

    assert queries(10) == queries(60)


def test_the_embedded_scheduler_runs_each_task_at_its_interval():
    calls = []
    clock = [0.0]
    scheduler = EmbeddedScheduler({"tick": {"task": "portal.tests.test_jobs._record_call", "schedule": 10}},
                                  clock=lambda: clock[0])
    global _calls
    _calls = calls
    assert scheduler.run_pending() == ["tick"]
    clock[0] = 5
    assert scheduler.run_pending() == []
    clock[0] = 10
    assert scheduler.run_pending() == ["tick"]
    assert len(calls) == 2


def test_a_long_interval_waits_one_interval_before_its_first_run():
    scheduler = EmbeddedScheduler({"daily": {"task": "portal.tests.test_jobs._record_call", "schedule": 86400}},
                                  clock=lambda: 0.0)
    assert scheduler.run_pending() == []


_calls: list = []


def _record_call():
    _calls.append(threading.current_thread().name)


@pytest.mark.django_db(transaction=True)
def test_without_a_broker_a_job_runs_in_a_thread_once_its_request_has_committed(settings, monkeypatch):
    settings.JOBS_EXECUTION = "thread"  # the embedded default of `make run`
    started = []

    def start_and_keep(job_id):
        thread = start_thread(job_id)
        started.append(thread)
        return thread

    # Joined, not polled: reading the job while its thread writes locks SQLite's shared in-memory test database
    # ("database table is locked"), which a file database's busy timeout would wait out.
    monkeypatch.setattr(dispatch, "start_thread", start_and_keep)
    job, _ = job_start(actor=None, kind=COUNT.name, params={"total": 2})
    assert len(started) == 1 and started[0].name == f"job-{job.pk}"
    started[0].join(timeout=20)
    job.refresh_from_db()
    assert job.state == JobState.SUCCEEDED and job.progress_text == "2 of 2 items (100 %)"
    assert job.history.count() == 3
