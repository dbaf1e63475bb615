"""A job started in the admin is finished by a real Celery worker process over Redis (production's set-up).

Needs PostgreSQL (the worker, another process, must see the test database: the test is transactional and the worker
gets the database settings through its environment) and Redis (JOBS_TEST_REDIS_URL, default
redis://127.0.0.1:6379/15). Without them the test skips with the reason, except under CI (`CI=true`), where a
missing Redis fails it. The worker listens on a queue of its own and is stopped by its PID.
"""

import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path
from urllib.parse import quote

import pytest
from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.urls import reverse

from portal import celery_app
from portal.core.jobs.models import Job, JobState

REDIS_URL = os.environ.get("JOBS_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
BOM = Path(__file__).resolve().parents[2] / "inventory" / "tests" / "data" / "rag-assistant.cdx.json"
ROOT = Path(__file__).resolve().parents[2]


def _need(condition: bool, reason: str, *, fail_in_ci: bool) -> None:
    if condition:
        return
    if fail_in_ci and os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"CI runs the real-worker job test: {reason}")
    pytest.skip(reason)


def _redis_answers() -> bool:
    import redis

    try:
        return bool(redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2).ping())
    except redis.RedisError:
        return False


def _database_url() -> str:
    db = connection.settings_dict
    credentials = quote(db["USER"] or "", safe="") + (f":{quote(db['PASSWORD'], safe='')}" if db["PASSWORD"] else "")
    return f"postgres://{credentials}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


@pytest.fixture
def celery_on_redis():
    """This process sends its jobs to Redis, on a queue of this test's own."""
    queue = f"portal-test-{uuid.uuid4().hex[:12]}"
    saved = {key: celery_app.conf[key] for key in ("broker_url", "task_always_eager", "task_default_queue")}
    celery_app.conf.update(broker_url=REDIS_URL, task_always_eager=False, task_default_queue=queue)
    _new_connection_pools()
    try:
        yield queue
    finally:
        celery_app.conf.update(saved)
        _new_connection_pools()


def _new_connection_pools():
    """Drop the app's broker connections, so the next send connects to the broker now configured."""
    if celery_app._pool is not None:
        celery_app._pool.force_close_all()
    celery_app._pool = None
    celery_app.amqp._producer_pool = None


@pytest.fixture
def worker(celery_on_redis, settings, tmp_path):
    """`celery -A portal worker` on the test database and the test's queue; stopped by its PID."""
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "portal.settings_test", "DJANGO_DEBUG": "true",
           "DATABASE_URL": _database_url(), "MIGRATION_DATABASE_URL": "", "CELERY_BROKER_URL": REDIS_URL,
           "JOBS_EXECUTION": "celery", "JOB_RESULT_DIR": settings.JOB_RESULT_DIR}
    log = tmp_path / "worker.log"
    with log.open("w") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "portal", "worker", "-l", "info", "--pool", "solo",
             "-Q", celery_on_redis, "-n", f"{celery_on_redis}@%h", "--without-gossip", "--without-mingle",
             "--without-heartbeat"], cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)
    try:
        yield process, log
    finally:
        os.kill(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.kill(process.pid, signal.SIGKILL)
            process.wait(timeout=10)


@pytest.fixture
def _real_worker_possible():
    _need(connection.vendor == "postgresql", "needs PostgreSQL: the worker process must see the test database "
          "(the SQLite test database lives in this process's memory)", fail_in_ci=False)
    _need(_redis_answers(), f"Redis does not answer at {REDIS_URL} (JOBS_TEST_REDIS_URL)", fail_in_ci=True)


@pytest.mark.django_db(transaction=True)
def test_a_job_started_in_the_admin_is_finished_by_a_real_celery_worker(_real_worker_possible, settings, client,
                                                                       worker):
    settings.JOBS_EXECUTION = "celery"
    process, log = worker
    # A superuser: the roles' groups come from data migrations, which an earlier transactional test's flush removed.
    client.force_login(get_user_model().objects.create_superuser("operator", "operator@example.org", None))
    response = client.post(reverse("admin:inventory_aisystem_import_aibom"),
                           {"system_slug": "support-rag", "bom": SimpleUploadedFile(BOM.name, BOM.read_bytes())})
    job = Job.objects.get(kind="inventory.aibom_import")
    assert response.status_code == 302 and response["Location"] == reverse("admin:core_job_change", args=[job.pk])
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline and process.poll() is None:
        job.refresh_from_db()
        if job.state in (JobState.SUCCEEDED, JobState.FAILED):
            break
        time.sleep(0.25)
    assert job.state == JobState.SUCCEEDED, f"job {job.state} {job.error}; worker log:\n{log.read_text()[-3000:]}"
    assert job.progress_text == "11 of 11 components (100 %)" and job.started_at and job.finished_at
    assert "portal.core.tasks.run_job" in log.read_text()  # the worker ran it, not this process
    page = client.get(response["Location"]).content.decode()
    assert "succeeded" in page and job.result_url in page
