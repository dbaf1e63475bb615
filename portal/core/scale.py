"""After a bulk load: the one place where data derived from the records is rebuilt.

Bulk loads (`manage.py seed_scale`, and any future import that writes rows without the services) bypass the
services that keep derived data right as they write: summary tables the dashboard reads, the audit chain's last
verified point, caches of filter choices. Such a load calls `after_bulk_load()` once, last, after its rows are
committed. Each app that keeps derived data registers the function that rebuilds it from the records
(`register_after_bulk_load(rebuild)` in its `AppConfig.ready`); the kernel knows no app, so it only calls what was
registered, in registration order. Nothing is registered yet: today every derived value is computed per request.
"""

from collections.abc import Callable

_rebuilders: list[Callable[..., None]] = []


def register_after_bulk_load(rebuild: Callable[..., None]) -> Callable[..., None]:
    """Have `rebuild(using=...)` run after every bulk load (usable as a decorator); registering twice is a no-op."""
    if rebuild not in _rebuilders:
        _rebuilders.append(rebuild)
    return rebuild


def after_bulk_load(*, using: str = "default") -> list[str]:
    """Rebuild the derived data after a bulk load; the names of the rebuilders that ran."""
    ran = []
    for rebuild in list(_rebuilders):
        rebuild(using=using)
        ran.append(f"{rebuild.__module__}.{rebuild.__qualname__}")
    return ran
