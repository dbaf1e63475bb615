"""API permissions: the role's model permissions, narrowed for API tokens by the token's scopes.

A request authenticated by an API token (`request.auth` is an `ApiToken`) needs the scope of what it does:
`read` for GET/HEAD/OPTIONS, `write` for every other method, or the one scope a view names in `token_scope`
(the alert intake names `alert_intake`, which it accepts without `write`). A session is not scope-limited.
Roles still apply on top of scopes: a token never does more than its user may.

Views that replace `permission_classes` keep the scope check by including `TokenScopePermission`, or by
subclassing `RoleModelPermissions` (which checks it first) or calling `check_token_scope`; a test walks every
API endpoint with a read-only token to make sure none is forgotten.
"""

from django.contrib.auth.models import Permission
from django.db.models import CharField, Value
from rest_framework import exceptions
from rest_framework.permissions import SAFE_METHODS, BasePermission, DjangoModelPermissions

from portal.core.models import ApiToken, TokenScope


def permissions_read_once(user) -> None:
    """Read the user's own and group permissions in one query (a UNION) and keep them where Django's
    `ModelBackend` looks for them (`_user_perm_cache`, `_group_perm_cache`, `_perm_cache`), instead of the two
    queries it would run at the first permission check.

    Superusers (whose checks pass without reading permissions), inactive users and users whose permissions are
    already read are left as they are."""
    if not user.is_active or user.is_superuser or hasattr(user, "_perm_cache"):
        return
    parts = [
        Permission.objects.filter(**{lookup: user}).annotate(source=Value(source, output_field=CharField()))
        .values_list("source", "content_type__app_label", "codename").order_by()
        for source, lookup in (("user", "user"), ("group", "group__user"))
    ]
    found = {"user": set(), "group": set()}
    for source, app_label, codename in parts[0].union(parts[1], all=True):
        found[source].add(f"{app_label}.{codename}")
    user._user_perm_cache = found["user"]
    user._group_perm_cache = found["group"]
    user._perm_cache = found["user"] | found["group"]


def required_token_scope(request, view) -> str:
    named = getattr(view, "token_scope", None)
    if named:
        return named
    return TokenScope.READ if request.method in SAFE_METHODS else TokenScope.WRITE


def check_token_scope(request, view) -> None:
    """Refuse (403 naming the scope) a token request whose token lacks the scope it needs; pass anything else."""
    token = getattr(request, "auth", None)
    if not isinstance(token, ApiToken):
        return
    needed = required_token_scope(request, view)
    if not token.has_scope(needed):
        raise exceptions.PermissionDenied(
            f"This API token lacks the `{needed}` scope needed for {request.method} here "
            f"(it has: {', '.join(token.scopes)})."
        )


class TokenScopePermission(BasePermission):
    """The token-scope rule on its own, for views whose other permission classes are not role permissions."""

    def has_permission(self, request, view):
        check_token_scope(request, view)
        return True


class RoleModelPermissions(DjangoModelPermissions):
    """Model permissions of the user's role, reads included: no `view_*` permission, no read.

    Anonymous users get nothing (401/403). Object-level rules are enforced by the services. A token request
    also needs its scope (`check_token_scope`).
    """

    perms_map = {
        **DjangoModelPermissions.perms_map,
        "GET": ["%(app_label)s.view_%(model_name)s"],
        "HEAD": ["%(app_label)s.view_%(model_name)s"],
        "OPTIONS": ["%(app_label)s.view_%(model_name)s"],
    }

    def has_permission(self, request, view):
        check_token_scope(request, view)
        return super().has_permission(request, view)
