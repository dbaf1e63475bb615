"""Settings for the test suite: local (debug) mode unless the environment says otherwise, fast hashing."""

import os

os.environ.setdefault("DJANGO_DEBUG", "true")

from portal.settings import *  # noqa: F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
# Render PDFs in-process (fast); the tests of the child-process time bound switch it back per test.
PDF_RENDER_ISOLATION = "inline"
