"""Who sees the governance dashboard: leadership, compliance officers and legal reviewers (and superusers).

Incident responders and auditors are refused (403); an anonymous visitor is sent to the admin login.
"""

from functools import wraps

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.urls import reverse

from portal.core import roles

DASHBOARD_ROLES = frozenset({roles.LEADERSHIP, roles.COMPLIANCE_OFFICER, roles.LEGAL_REVIEWER})


def can_view_dashboard(user) -> bool:
    return user.is_authenticated and (user.is_superuser or bool(roles.user_roles(user) & DASHBOARD_ROLES))


def dashboard_access(view):
    @wraps(view)
    def wrapped(request, *args, **kwargs):
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path(), reverse("admin:login"))
        if not can_view_dashboard(request.user):
            raise PermissionDenied("The governance dashboard is for leadership, compliance and legal.")
        return view(request, *args, **kwargs)

    return wrapped
