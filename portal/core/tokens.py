"""API tokens: create, revoke, and find a token by the key a request sends.

A key is `aip_` and 40 random URL-safe characters (240 bits), generated here and returned once by
`api_token_create`; only its SHA-256 is stored. A key of that strength needs no salt or slow hash: nobody can
guess one, and a leaked table of digests gives no key back.
"""

import hashlib
import secrets
from datetime import timedelta

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from portal.core.history import save_tracked
from portal.core.models import ApiToken, TokenScope
from portal.core.permissions import with_permission_names

KEY_PREFIX = "aip_"
SHOWN_PREFIX_LENGTH = len(KEY_PREFIX) + 8
# `last_used_at` is written at most this often per token, so an integration does not write on every request.
LAST_USED_RESOLUTION = timedelta(minutes=1)


def key_digest(raw_key: str) -> str:
    return hashlib.sha256(raw_key.encode()).hexdigest()


def _new_key() -> str:
    return KEY_PREFIX + secrets.token_urlsafe(30)


def check_token_request(*, user, expires_at=None) -> None:
    """The rules on a new token beyond its own fields (which `ApiToken.clean` checks), naming the field."""
    if not user.is_active:
        raise ValidationError({"user": f"{user} is inactive: an inactive user's token would not work."})
    if expires_at is not None and expires_at <= timezone.now():
        raise ValidationError({"expires_at": "The expiry must be in the future."})


def api_token_create(*, actor, user, name, scopes, expires_at=None) -> tuple[ApiToken, str]:
    """Create a token for `user` with `scopes`; return it and its key, which is shown this once and never stored."""
    check_token_request(user=user, expires_at=expires_at)
    ordered = [s for s in TokenScope.values if s in set(scopes or [])]
    unknown = sorted({str(s) for s in scopes or []} - set(TokenScope.values))
    raw_key = _new_key()
    token = ApiToken(
        user=user, name=(name or "").strip(), scopes=ordered + unknown, expires_at=expires_at,
        prefix=raw_key[:SHOWN_PREFIX_LENGTH], key_hash=key_digest(raw_key), created_by=actor,
    )
    with transaction.atomic():
        save_tracked(token, actor=actor)
    return token, raw_key


def api_token_revoke(*, actor, token: ApiToken) -> ApiToken:
    """Revoke a token at once; the record stays, with who revoked it and when."""
    with transaction.atomic():
        token = ApiToken.objects.select_for_update().get(pk=token.pk)
        if token.revoked_at is not None:
            raise ValidationError({"revoked_at": f"The token was already revoked on {token.revoked_at:%Y-%m-%d %H:%M} "
                                                 "UTC."})
        token.revoked_at = timezone.now()
        token.revoked_by = actor
        save_tracked(token, actor=actor, update_fields=["revoked_at", "revoked_by"])
    return token


def api_token_for_key(raw_key: str) -> ApiToken | None:
    """The token whose key this is, with its user and the user's permission names (`with_permission_names`), in
    one query, whatever its state (the caller checks `is_active`)."""
    if not raw_key.startswith(KEY_PREFIX) or len(raw_key) > 200:
        return None
    tokens = with_permission_names(ApiToken.objects.select_related("user"), "user_id")
    return tokens.filter(key_hash=key_digest(raw_key)).first()


def api_token_touch(token: ApiToken) -> None:
    """Record that the token was used, at most once per LAST_USED_RESOLUTION.

    `last_used_at` is excluded from the token's history (it is bookkeeping, not a change anyone made), so this
    one column is written without a history row.
    """
    now = timezone.now()
    if token.last_used_at is not None and now - token.last_used_at < LAST_USED_RESOLUTION:
        return
    ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
    token.last_used_at = now
