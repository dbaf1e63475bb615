"""Job kinds: what each kind of job runs and who may see it. The apps register their kinds in their `tasks` module
(the kernel names no app); the registry imports every app's `tasks` module on first use."""

from collections.abc import Callable
from dataclasses import dataclass, field

from django.utils.module_loading import autodiscover_modules


@dataclass(frozen=True)
class JobResult:
    """What a finished job gives the user: a summary in words and a link (a page, or a file under JOB_RESULT_DIR
    that the job page serves)."""

    summary: str = ""
    url: str = ""
    label: str = ""
    file: str = ""


class JobFailed(Exception):
    """A job that cannot be done, with the reason in words for the user (no traceback is logged for it); `result`
    can still offer a file or a link (e.g. the rejected rows of an import that wrote nothing)."""

    def __init__(self, message: str = "", *, result: JobResult | None = None):
        super().__init__(message)
        self.result = result


@dataclass(frozen=True)
class JobKind:
    name: str
    label: str
    # run(job=..., progress=callable(done, total)) -> JobResult; raises JobFailed or ValidationError with the reason.
    run: Callable | None = None
    # The roles that may see the job (and its result) besides its starter; superusers see every job.
    viewer_roles: frozenset[str] = field(default_factory=frozenset)
    unit: str = ""
    # describe(params) -> [(label, text or safe HTML)]: what the job was asked to do, in words, with a link to the
    # record it works on; without it, the job page lists the parameters by name.
    describe: Callable | None = None


_KINDS: dict[str, JobKind] = {}
_loaded = False


def register(kind: JobKind) -> JobKind:
    _KINDS[kind.name] = kind
    return kind


def _load():
    global _loaded
    if not _loaded:
        _loaded = True
        autodiscover_modules("tasks")


def get_kind(name: str) -> JobKind | None:
    _load()
    return _KINDS.get(name)


def kinds() -> dict[str, JobKind]:
    _load()
    return dict(_KINDS)


def kind_label(name: str) -> str:
    kind = get_kind(name)
    return kind.label if kind else name


def kinds_visible_to(role_names: set[str]) -> list[str]:
    return sorted(k.name for k in kinds().values() if k.viewer_roles & role_names)
