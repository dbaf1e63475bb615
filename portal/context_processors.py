"""Template context shared by every page of the site shell."""

from django.utils.functional import SimpleLazyObject


def navigation(request):
    """`nav.dashboard` and `nav.audit`: whether the signed-in user may open the governance dashboard and the audit
    pages, so the header links only what the user can reach. Lazy: pages that never ask run no query."""

    def links():
        from reporting.audit.views import AUDIT_ROLES
        from reporting.dashboard.access import DASHBOARD_ROLES

        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated:
            return {"dashboard": False, "audit": False}
        from portal.core import roles

        held = roles.user_roles(user)
        return {"dashboard": bool(held & DASHBOARD_ROLES), "audit": bool(held & AUDIT_ROLES)}

    return {"nav": SimpleLazyObject(links)}
