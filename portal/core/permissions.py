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
from django.db.models import Aggregate, OuterRef, QuerySet, Subquery, TextField, Value
from django.db.models.expressions import RawSQL
from django.db.models.functions import Concat
from rest_framework import exceptions
from rest_framework.permissions import SAFE_METHODS, BasePermission, DjangoModelPermissions

from portal.core.models import ApiToken, TokenScope


class _JoinedText(Aggregate):
    """Text values joined with commas: GROUP_CONCAT on SQLite, STRING_AGG on PostgreSQL."""

    function = "GROUP_CONCAT"
    output_field = TextField()

    def as_postgresql(self, compiler, connection, **extra_context):
        return self.as_sql(compiler, connection, function="STRING_AGG",
                           template="%(function)s(%(expressions)s, ',')", **extra_context)


def _permission_names(lookup: str, user_ref: str) -> Subquery:
    """`app_label.codename` of the permissions `lookup` links to the user `user_ref` names, comma-joined (a
    permission codename has no comma), or NULL when there are none."""
    names = (Permission.objects.filter(**{lookup: OuterRef(user_ref)}).order_by().values(lookup)
             .annotate(names=_JoinedText(Concat("content_type__app_label", Value("."), "codename",
                                                output_field=TextField())))
             .values("names"))
    return Subquery(names, output_field=TextField())


PERMISSION_NAME_LOOKUPS = {"own_permission_names": "user", "group_permission_names": "group__user"}
# The two subqueries as SQL, per model, user reference and database: compiled once (compiling them is a millisecond
# or two of Python, on the path of every API token request), then given to each query as raw SQL.
_compiled_names: dict[tuple[str, str, str], dict[str, tuple[str, tuple]]] = {}


def _names_sql(model, user_ref: str, alias: str) -> dict[str, tuple[str, tuple]]:
    key = (model._meta.label, user_ref, alias)
    if key not in _compiled_names:
        template = model._base_manager.db_manager(alias).annotate(
            **{name: _permission_names(lookup, user_ref) for name, lookup in PERMISSION_NAME_LOOKUPS.items()})
        compiler = template.query.get_compiler(using=alias)
        compiler.setup_query()
        names = {name: compiler.select[compiler.annotation_col_map[name]][1] for name in PERMISSION_NAME_LOOKUPS}
        outer = compiler.connection.ops.quote_name(model._meta.db_table) + "."
        if not all(outer in sql for sql, _ in names.values()):
            raise ValueError(f"the permission names' SQL does not name {outer} as the outer table: {names}")
        _compiled_names[key] = names
    return _compiled_names[key]


def with_permission_names(queryset: QuerySet, user_ref: str) -> QuerySet:
    """Annotate each row with the permission names of the user `user_ref` names: its own (`own_permission_names`)
    and its groups' (`group_permission_names`), so a request reads them with the row it reads anyway.

    The subqueries are compiled once per model, `user_ref` and database, and refer to the model's table by its
    name: `queryset` reads that table as its base table (as every queryset of the model does, not one nested in
    another query)."""
    names = _names_sql(queryset.model, user_ref, queryset.db)
    return queryset.annotate(**{name: RawSQL(sql, params, output_field=TextField())  # noqa: S611  # nosec B611  # compiled by the ORM
                                for name, (sql, params) in names.items()})


def permissions_keep(user, *, own: str | None, groups: str | None) -> None:
    """Keep permission names read by `with_permission_names` where Django's `ModelBackend` looks for them
    (`_user_perm_cache`, `_group_perm_cache`, `_perm_cache`), so the first permission check of the request runs no
    query. Superusers (whose checks read no permission) and inactive users (who have none) are left as they are."""
    if not user.is_active or user.is_superuser:
        return
    user._user_perm_cache = set(own.split(",")) if own else set()
    user._group_perm_cache = set(groups.split(",")) if groups else set()
    user._perm_cache = user._user_perm_cache | user._group_perm_cache


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
