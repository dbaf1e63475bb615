"""Settings for the test suite: local (debug) mode unless the environment says otherwise, fast hashing."""

import os

os.environ.setdefault("DJANGO_DEBUG", "true")
# The demo organisation file of a local `make run` (var/demo-organisation.env) is neither read nor written.
os.environ.setdefault("DEMO_ORGANISATION_FILE", "")

from portal.settings import *  # noqa: F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
# Render PDFs in-process (fast); the tests of the child-process time bound switch it back per test.
PDF_RENDER_ISOLATION = "inline"
# Throttle counters in this process only; rates high enough that no test is throttled by another's requests (the
# throttling tests set their own rates).
CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "tests"}}
REST_FRAMEWORK = {
    **REST_FRAMEWORK,  # noqa: F405
    "DEFAULT_THROTTLE_RATES": {"user": "1000000/hour", "anon": "1000000/hour", "alert_intake": "1000000/hour"},
}
# django-axes refuses `authenticate()` calls without a request, which Django's test `Client.login()` makes; the
# login-throttling tests (portal/tests/test_security.py) switch it on.
AXES_ENABLED = False
# Jobs run in the request that starts them, so a test sees the finished job (JOBS_EXECUTION from the environment
# lets the real-worker test run them on Celery); the embedded scheduler never starts in tests.
JOBS_EXECUTION = os.environ.get("JOBS_EXECUTION", "inline")
JOBS_EMBEDDED_SCHEDULER = False
# The tests run with DEBUG off (as pytest-django sets it), where a regulatory notification naming the placeholder
# "Example Organisation" is refused; the tests of that refusal set the placeholder back.
ORGANISATION_NAME = "Test Organisation Ltd"
