"""DRF authentication by API token: `Authorization: Token <key>`.

The token's user becomes `request.user` (its role permissions apply) and the token `request.auth`, whose scopes
`portal.core.permissions` checks. A missing header leaves the request to the other authentication classes (the
admin session); a wrong, expired or revoked key, or the key of an inactive user, is a 401.
"""

from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend
from django.core.exceptions import ValidationError
from django.db import router
from django.utils.translation import gettext_lazy as _
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.plumbing import build_bearer_security_scheme_object
from rest_framework import exceptions
from rest_framework.authentication import BaseAuthentication, get_authorization_header

from portal.core import tokens
from portal.core.compiled import CompiledOnce
from portal.core.permissions import permissions_keep, with_permission_names


class ApiTokenAuthentication(BaseAuthentication):
    keyword = "Token"

    def authenticate(self, request):
        parts = get_authorization_header(request).split()
        if not parts or parts[0].lower() != self.keyword.lower().encode():
            return None
        if len(parts) != 2:
            raise exceptions.AuthenticationFailed(_("Invalid token header: send `Authorization: Token <key>`."))
        try:
            raw_key = parts[1].decode("ascii")
        except UnicodeError as exc:
            raise exceptions.AuthenticationFailed(_("Invalid token header: the key has characters no key has.")) \
                from exc
        token = tokens.api_token_for_key(raw_key)
        if token is None or not token.is_active or not token.user.is_active:
            raise exceptions.AuthenticationFailed(_("Invalid, expired or revoked token."))
        tokens.api_token_touch(token)
        permissions_keep(token.user, own=token.own_permission_names, groups=token.group_permission_names)
        return token.user, token

    def authenticate_header(self, request):
        return self.keyword


class ApiTokenScheme(OpenApiAuthenticationExtension):
    """Documents the token in the OpenAPI schema as `tokenAuth`."""

    target_class = "portal.core.authentication.ApiTokenAuthentication"
    name = "tokenAuth"

    def get_security_definition(self, auto_schema):
        scheme = build_bearer_security_scheme_object(header_name="Authorization", token_prefix=self.target.keyword)
        scheme["description"] = ("An API token issued in the admin or by `manage.py create_api_token`, sent as "
                                 "`Authorization: Token <key>`. Scopes: `read` for GET/HEAD/OPTIONS, `write` "
                                 "for other methods, `alert_intake` for POST /api/v1/alerts/.")
        return scheme


def _user_query(user_id):
    user_model = get_user_model()
    return with_permission_names(user_model._default_manager.filter(pk=user_id), "pk")


# The session's user with its permission names: compiled once per database (the subqueries cost milliseconds to
# compile on every request), then run with the session's user id.
USER_QUERY = CompiledOnce(_user_query)


class RoleModelBackend(ModelBackend):
    """Django's `ModelBackend`, reading the signed-in user of a session with the names of its own and its groups'
    permissions in the same query (`with_permission_names`, as a token request reads them with the token): a
    session request costs the session and the user, not two more queries at its first permission check. The query
    is compiled once per database (`USER_QUERY`).

    Sessions remember the backend that logged them in: sessions of the plain `ModelBackend` end when this one
    replaces it in `AUTHENTICATION_BACKENDS` (their users sign in again, once)."""

    def get_user(self, user_id):
        user_model = get_user_model()
        try:
            user_id = user_model._meta.pk.to_python(user_id)
        except ValidationError:
            return None
        alias = router.db_for_read(user_model)
        user = next(iter(user_model._default_manager.db_manager(alias).raw(*USER_QUERY.sql(alias, user_id))), None)
        if user is None:
            return None
        permissions_keep(user, own=user.own_permission_names, groups=user.group_permission_names)
        return user if self.user_can_authenticate(user) else None
