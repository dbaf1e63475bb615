"""The demo's clock: each seeded step is recorded at the moment it is said to have happened.

The services take the time of what they record from `django.utils.timezone.now()` (timeline events, history rows,
chain heads, review and validation rows); `recorded_at(moment)` makes that clock read `moment` for the duration of
one step of the seed, so a closed incident's history reads as its days and hours went by, not as the second the
seed ran. Only the seed uses it; the services and the hash chain are unchanged (a row is hashed with the time it
is stored with, so `verify_audit_trail` passes).
"""

from contextlib import contextmanager
from datetime import timedelta
from unittest import mock

from django.utils import timezone


@contextmanager
def recorded_at(moment):
    """`timezone.now()` reads `moment` inside the block (a moment in the future is refused)."""
    if moment > timezone.now() + timedelta(seconds=1):
        raise ValueError(f"The demo records what has happened: {moment:%Y-%m-%d %H:%M} is in the future.")
    with mock.patch("django.utils.timezone.now", return_value=moment):
        yield moment
