"""The schedule without Celery beat (the embedded default): the server runs CELERY_BEAT_SCHEDULE in a daemon
thread, calling the same tasks beat would send. Started from `portal.wsgi`, so `runserver` (in the reloader's child,
which serves) and gunicorn run it, and tests and other management commands never do. With several gunicorn
workers each runs the schedule; the tasks are safe to run twice (every notice is claimed before it is sent).

A task runs first at start-up when its interval is an hour or less (SLA and deadline checks), else after its
interval (the daily checkpoint, which a restarting development server would otherwise take each time)."""

import logging
import threading
import time
from dataclasses import dataclass

from django.conf import settings
from django.db import close_old_connections
from django.utils.module_loading import import_string

logger = logging.getLogger(__name__)

RUN_AT_START_UP_TO_SECONDS = 60 * 60


@dataclass
class Entry:
    name: str
    task: str
    every: float
    next_at: float


def _seconds(schedule) -> float:
    return schedule.total_seconds() if hasattr(schedule, "total_seconds") else float(schedule)


class EmbeddedScheduler:
    def __init__(self, schedule: dict | None = None, *, tick: float = 1.0, clock=time.monotonic):
        schedule = settings.CELERY_BEAT_SCHEDULE if schedule is None else schedule
        self.clock, self.tick = clock, tick
        start = clock()
        self.entries = [
            Entry(name=name, task=entry["task"], every=_seconds(entry["schedule"]),
                  next_at=start if _seconds(entry["schedule"]) <= RUN_AT_START_UP_TO_SECONDS
                  else start + _seconds(entry["schedule"]))
            for name, entry in schedule.items()
        ]
        self._stop = threading.Event()
        self.thread: threading.Thread | None = None

    def run_pending(self) -> list[str]:
        """Run every entry that is due; the names run."""
        ran = []
        for entry in self.entries:
            now = self.clock()
            if now < entry.next_at:
                continue
            entry.next_at = now + entry.every
            try:
                import_string(entry.task)()
            except Exception:
                logger.exception("Scheduled task %s (%s) failed", entry.name, entry.task)
            finally:
                close_old_connections()
            ran.append(entry.name)
        return ran

    def _loop(self):
        logger.info("Embedded scheduler started: %s", ", ".join(f"{e.name} every {e.every:g} s" for e in self.entries))
        while not self._stop.is_set():
            self.run_pending()
            self._stop.wait(self.tick)

    def start(self) -> "EmbeddedScheduler":
        self.thread = threading.Thread(target=self._loop, name="embedded-scheduler", daemon=True)
        self.thread.start()
        return self

    def stop(self, timeout: float = 10.0) -> None:
        self._stop.set()
        if self.thread is not None:
            self.thread.join(timeout)


_running: EmbeddedScheduler | None = None
_lock = threading.Lock()


def start_if_embedded() -> EmbeddedScheduler | None:
    """Start the schedule in this process when no broker is configured (once per process)."""
    global _running
    if not (settings.JOBS_EMBEDDED and settings.JOBS_EMBEDDED_SCHEDULER):
        return None
    with _lock:
        if _running is None:
            _running = EmbeddedScheduler().start()
    return _running
