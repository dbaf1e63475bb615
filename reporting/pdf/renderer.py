"""The long-lived renderer process: WeasyPrint imported once, jobs sent to it one at a time, killed on time.

Importing WeasyPrint and starting an interpreter take seconds, rendering a notification a fraction of one. So each
process that renders (a gunicorn worker, a Celery worker process, a management command) keeps one renderer
process (`current_renderer`), started on its first render (never before a fork: the web or job worker owns it)
and reused for the next ones. A job goes down the renderer's stdin, the answer comes back on its stdout, each a
length-prefixed pickle (the two ends are this project's code, never anything received from outside).

The renderer is stopped and replaced:
- when a render is not answered within ``timeout_seconds`` (SIGTERM, then SIGKILL; the render raises
  `RenderError`); start-up counts towards the timeout of the render that started it;
- when it dies without answering (a crash, the kernel's OOM killer): `RenderError` naming its exit code;
- after ``PDF_RENDERER_MAX_JOBS`` renders, or once its peak resident memory passed ``PDF_RENDERER_MAX_MEMORY_MB``
  (each answer reports it), so that whatever a render leaks or caches does not accumulate; ``RLIMIT_CPU`` of the
  renderer is its CPU time so far plus the timeout, so a render that spins past it is killed by the kernel too.

It is a plain child process (``subprocess``, ``python -m reporting.pdf.renderer``), not a ``multiprocessing``
one: it re-imports no ``__main__`` module, and daemonic processes (Celery's prefork pool) may start it. It
imports no Django and inherits no database connection or socket (``close_fds``). Renders of one process wait
for each other (a lock): one renderer per process, one job at a time. A process forked after its renderer
started (a pre-forking server) forgets the parent's renderer and starts its own.
"""

from __future__ import annotations

import atexit
import contextlib
import os
import pickle  # nosec B403  # both ends of the pipe are this module
import select
import signal
import struct
import subprocess  # nosec B404  # the renderer is this module, run with this interpreter
import sys
import threading
import time
from pathlib import Path

from .limits import RenderError, RenderLimits, _setting

_HEADER = struct.Struct("!Q")
_KILL_GRACE_SECONDS = 2
_PROJECT_ROOT = Path(__file__).resolve().parent.parent.parent


class _Timeout(Exception):
    pass


class _Ended(Exception):
    pass


def _read_exactly(fd: int, size: int, deadline: float) -> bytes:
    chunks, left = [], size
    while left:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise _Timeout
        readable, _, _ = select.select([fd], [], [], remaining)
        if not readable:
            raise _Timeout
        chunk = os.read(fd, min(left, 1 << 20))
        if not chunk:
            raise _Ended
        chunks.append(chunk)
        left -= len(chunk)
    return b"".join(chunks)


def _write_message(stream, message) -> None:
    data = pickle.dumps(message, protocol=pickle.HIGHEST_PROTOCOL)
    stream.write(_HEADER.pack(len(data)) + data)
    stream.flush()


class Renderer:
    """One renderer process, started on demand; `render` sends it a job and waits at most the timeout."""

    def __init__(self, *, max_jobs: int | None = None, max_memory_mb: int | None = None):
        self.max_jobs = max_jobs if max_jobs is not None else _setting("PDF_RENDERER_MAX_JOBS", 200)
        self.max_memory_mb = (max_memory_mb if max_memory_mb is not None
                              else _setting("PDF_RENDERER_MAX_MEMORY_MB", 768))
        self._process: subprocess.Popen | None = None
        self._jobs = 0
        self._lock = threading.Lock()

    @property
    def pid(self) -> int | None:
        """The id of the running renderer process, or None when none runs."""
        return self._process.pid if self._process is not None and self._process.poll() is None else None

    def render(self, job, limits: RenderLimits):
        from .engine import logger

        with self._lock:
            deadline = time.monotonic() + limits.timeout_seconds
            process = self._running()
            try:
                _write_message(process.stdin, (job, limits.timeout_seconds))
                size = _HEADER.unpack(_read_exactly(process.stdout.fileno(), _HEADER.size, deadline))[0]
                status, payload, records, peak_kb = pickle.loads(  # noqa: S301  # nosec B301  # our renderer's answer
                    _read_exactly(process.stdout.fileno(), size, deadline))
            except _Timeout:
                self.stop()
                raise RenderError(
                    f"Rendering did not finish within {limits.timeout_seconds} s (timeout_seconds); "
                    "the renderer process was stopped.") from None
            except (_Ended, BrokenPipeError, OSError, EOFError, pickle.UnpicklingError):
                code = self.stop()
                raise RenderError(
                    f"The PDF renderer process ended without a result (exit code {code}); it is replaced on the "
                    "next render.") from None
            self._jobs += 1
            if self._jobs >= self.max_jobs or peak_kb > self.max_memory_mb * 1024:
                self.stop()
        requested, served, refused, warnings = records
        job.fetcher.requested.extend(requested)
        job.fetcher.served.extend(served)
        job.fetcher.refused.extend(refused)
        for message in warnings:
            logger.warning("WeasyPrint: %s", message)
        if status != "ok":
            raise RenderError(payload)
        return payload

    def _running(self) -> subprocess.Popen:
        if self._process is not None and self._process.poll() is None:
            return self._process
        self.stop()
        env = {**os.environ, "PYTHONPATH": os.pathsep.join(
            p for p in (str(_PROJECT_ROOT), os.environ.get("PYTHONPATH", "")) if p)}
        try:
            self._process = subprocess.Popen(  # nosec B603  # this interpreter, this module
                [sys.executable, "-m", "reporting.pdf.renderer"], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                cwd=_PROJECT_ROOT, env=env, close_fds=True)
        except OSError as exc:
            raise RenderError(f"The PDF renderer process could not start: {type(exc).__name__}: {exc}") from exc
        self._jobs = 0
        return self._process

    def stop(self) -> int | None:
        """Stop the renderer process (end of input, then SIGTERM, then SIGKILL); its exit code, or None."""
        process, self._process = self._process, None
        if process is None:
            return None
        for stream in (process.stdin, process.stdout):
            with contextlib.suppress(OSError):
                stream.close()
        try:
            return process.wait(0.5 if process.poll() is None else 0)
        except subprocess.TimeoutExpired:
            pass
        process.terminate()
        try:
            return process.wait(_KILL_GRACE_SECONDS)
        except subprocess.TimeoutExpired:
            process.kill()
            return process.wait()

    def forget(self) -> None:
        """In a forked child: drop the parent's renderer without touching it (its pipes closed in this process)."""
        process, self._process = self._process, None
        self._lock = threading.Lock()
        if process is not None:
            for stream in (process.stdin, process.stdout):
                with contextlib.suppress(OSError):
                    stream.close()
            process.returncode = 0  # never waited for here: the parent owns it


_current: Renderer | None = None
_current_lock = threading.Lock()


def current_renderer() -> Renderer:
    """This process's renderer (created on first use)."""
    global _current
    with _current_lock:
        if _current is None:
            _current = Renderer()
        return _current


def _after_fork_in_child() -> None:
    global _current, _current_lock
    _current_lock = threading.Lock()
    if _current is not None:
        _current.forget()
        _current = None


def _stop_at_exit() -> None:
    if _current is not None:
        _current.stop()


os.register_at_fork(after_in_child=_after_fork_in_child)
atexit.register(_stop_at_exit)


# --- the renderer process ---------------------------------------------------------------------------------------


def _limit_cpu(seconds: float) -> None:
    """Let the kernel stop this process if the next render spins past its timeout in CPU time."""
    try:
        import resource

        used = resource.getrusage(resource.RUSAGE_SELF)
        spent = used.ru_utime + used.ru_stime
        _soft, hard = resource.getrlimit(resource.RLIMIT_CPU)
        limit = int(spent + seconds) + 2
        if hard == resource.RLIM_INFINITY or limit <= hard:
            resource.setrlimit(resource.RLIMIT_CPU, (limit, hard))
    except (ImportError, ValueError, OSError):
        pass


def _peak_memory_kb() -> int:
    try:
        import resource

        return int(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)
    except ImportError:
        return 0


def main() -> None:
    """Read jobs from stdin until it ends; answer each on stdout. Anything else printed goes to stderr."""
    answers = os.fdopen(os.dup(1), "wb")
    os.dup2(2, 1)
    jobs = os.fdopen(0, "rb")
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # a Ctrl-C of the terminal is for the parent, which stops us
    from . import engine
    from .fetcher import SafeURLFetcher  # noqa: F401  (imports WeasyPrint now, not on the first job)

    collect = engine.collect_warnings()
    while True:
        header = jobs.read(_HEADER.size)
        if len(header) < _HEADER.size:
            return
        job, timeout = pickle.loads(jobs.read(_HEADER.unpack(header)[0]))  # noqa: S301  # nosec B301  # our parent's job
        _limit_cpu(timeout)
        status, payload, records = engine.answer(job, collect)
        _write_message(answers, (status, payload, records, _peak_memory_kb()))


if __name__ == "__main__":
    main()
