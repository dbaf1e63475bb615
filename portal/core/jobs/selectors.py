"""Who may see which job: its starter, the roles its kind names (those who may see its result), superusers."""

from django.db.models import Q

from portal.core import roles
from portal.core.jobs.models import Job
from portal.core.jobs.registry import get_kind, kinds_visible_to


def jobs_visible_to(user):
    if not (user.is_authenticated and user.is_active and user.is_staff):
        return Job.objects.none()
    if user.is_superuser:
        return Job.objects.all()
    return Job.objects.filter(Q(started_by=user) | Q(kind__in=kinds_visible_to(roles.user_roles(user))))


def job_visible_to(job: Job, user) -> bool:
    if not (user.is_authenticated and user.is_active and user.is_staff):
        return False
    if user.is_superuser or (job.started_by_id is not None and job.started_by_id == user.pk):
        return True
    kind = get_kind(job.kind)
    return bool(kind and kind.viewer_roles & roles.user_roles(user))
