"""Configuration: production refuses to start without its secrets and passes the deploy checklist."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PRODUCTION = {
    "DJANGO_DEBUG": "false",
    "DJANGO_SECRET_KEY": "a-production-secret-that-is-long-and-random-enough-0123456789-abcdefghijklmnop",
    "DJANGO_ALLOWED_HOSTS": "portal.example.org",
    "ORGANISATION_NAME": "Acme Health Ltd",
    "ORGANISATION_COUNTRY": "IE",
}


def _run(argv, *, env, timeout):
    """`argv` in the project folder with `env` over this environment stripped of the portal's own variables."""
    clean = {k: v for k, v in os.environ.items()
             if not k.startswith(("DJANGO_", "DATABASE_URL", "MIGRATION_DATABASE_URL", "AUDIT_", "ORGANISATION_"))}
    return subprocess.run([sys.executable, *argv], cwd=ROOT, env={**clean, **env}, capture_output=True, text=True,
                          timeout=timeout, check=False)


def _manage(*args, env):
    return _run(["manage.py", *args], env=env, timeout=120)


def _settings(code, *, env):
    """Run `code` after loading the settings alone (no app import: a fraction of a second, not a Django start)."""
    return _run(["-c", "import os; os.environ['DJANGO_SETTINGS_MODULE'] = 'portal.settings'; "
                       "from django.conf import settings; settings.DEBUG; " + code], env=env, timeout=60)


@pytest.fixture
def signing(tmp_path, audit_signing_key_file):
    """The audit signing variables production sets."""
    return {"AUDIT_SIGNING_KEY_FILE": str(audit_signing_key_file), "AUDIT_CHECKPOINT_DIR": str(tmp_path),
            "JOB_RESULT_DIR": str(tmp_path / "jobs"), "CELERY_BROKER_URL": "redis://127.0.0.1:6379/0"}


def test_check_deploy_passes_with_production_variables(signing):
    result = _manage("check", "--deploy", "--fail-level", "WARNING", env={**PRODUCTION, **signing})
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_check_deploy_warns_without_an_audit_signing_key():
    result = _manage("check", "--deploy", "--fail-level", "WARNING", env=PRODUCTION)
    assert result.returncode != 0
    assert "portal.W001" in result.stderr and "AUDIT_SIGNING_KEY_FILE is not set" in result.stderr
    assert "AUDIT_CHECKPOINT_DIR is not set" in result.stderr


def test_check_deploy_warns_without_a_broker_or_a_job_file_directory(signing):
    env = {**PRODUCTION, **signing, "JOB_RESULT_DIR": "", "CELERY_BROKER_URL": ""}
    result = _manage("check", "--deploy", "--fail-level", "WARNING", env=env)
    assert result.returncode != 0
    assert "portal.W003" in result.stderr and "JOB_RESULT_DIR is not set" in result.stderr
    assert "CELERY_BROKER_URL is not set" in result.stderr


def test_check_deploy_warns_for_the_placeholder_organisation_and_a_missing_country(signing):
    env = {**PRODUCTION, **signing, "ORGANISATION_NAME": "Example Organisation", "ORGANISATION_COUNTRY": ""}
    result = _manage("check", "--deploy", "--fail-level", "WARNING", env=env)
    assert result.returncode != 0
    assert result.stderr.count("reporting.W203") == 2, result.stderr
    assert "ORGANISATION_NAME is the placeholder" in result.stderr
    assert "ORGANISATION_COUNTRY is not set" in result.stderr


def test_check_deploy_warns_when_postgresql_serves_with_the_owner_role(signing):
    env = {**PRODUCTION, **signing, "DATABASE_URL": "postgres://portal@db.example.org:5432/portal"}
    result = _manage("check", "--deploy", "--fail-level", "WARNING", env=env)
    assert result.returncode != 0 and "portal.W002" in result.stderr
    env["MIGRATION_DATABASE_URL"] = "postgres://portal_owner@db.example.org:5432/portal"
    result = _manage("check", "--deploy", "--fail-level", "WARNING", env=env)
    assert "portal.W002" not in result.stdout + result.stderr


@pytest.mark.parametrize("missing", ["DJANGO_SECRET_KEY", "DJANGO_ALLOWED_HOSTS"])
def test_production_refuses_to_start_without_its_secrets(missing):
    env = {k: v for k, v in PRODUCTION.items() if k != missing}
    result = _settings("", env=env)
    assert result.returncode != 0
    assert missing in result.stderr and "must be set when DJANGO_DEBUG is false" in result.stderr


def test_debug_is_off_unless_asked_for():
    result = _manage("check", env={})
    assert result.returncode != 0 and "DJANGO_SECRET_KEY" in result.stderr


def test_database_url_switches_the_database_engine():
    code = "print(settings.DATABASES['default']['ENGINE'])"
    env = {"DJANGO_DEBUG": "true", "DATABASE_URL": "postgres://portal@db.example.org:5432/portal"}
    result = _settings(code, env=env)
    assert result.stdout.strip() == "django.db.backends.postgresql", result.stderr
    result = _settings(code, env={"DJANGO_DEBUG": "true"})
    assert result.stdout.strip() == "django.db.backends.sqlite3", result.stderr


def test_env_example_documents_every_variable_the_settings_read():
    settings_text = (ROOT / "portal" / "settings.py").read_text()
    documented = (ROOT / ".env.example").read_text()
    import re

    read = set(re.findall(r'^\s+([A-Z][A-Z_]+)=\(', settings_text, re.M))
    read |= set(re.findall(r'env(?:\.\w+)?\("([A-Z][A-Z_]+)"', settings_text))
    missing = sorted(name for name in read if name not in documented)
    assert not missing, f"Undocumented in .env.example: {missing}"
