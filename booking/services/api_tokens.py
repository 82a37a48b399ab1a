"""API tokens for devices and integrations: made at POST /api/v1/auth/token with a password, or
by an administrator in the browser with a label; checked on every API request; revoked. Only a
hash of each token is kept, and every token an administrator makes or revokes is audited."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from tortoise.transactions import in_transaction

from booking.errors import NotFound, PasswordChangeRequired, TokenInvalid
from booking.models import ApiToken, StaffUser
from booking.services.accounts import audit

TOKEN_LIFETIME = timedelta(days=90)
# The last use is written when it is older than this: a display polling every few seconds
# must not write on every request.
USE_REFRESH = timedelta(minutes=5)
LABEL_LENGTH = 100
LISTED = 200


@dataclass(frozen=True)
class IssuedToken:
    token: str
    role: str
    expires: datetime


def _stored_hash(token: str) -> str:
    """How tokens have always been kept (trimmed, lower case, SHA-256): another rule would end
    every token in use."""
    return hashlib.sha256(token.strip().lower().encode("utf-8")).hexdigest()


def _summary(label: str, username: str) -> str:
    return f"{label}, for {username}" if label else f"for {username}"


async def issue_token(
    user: StaffUser, now: datetime, label: str = "", actor: str | None = None
) -> IssuedToken:
    """A new API token for ``user`` (made by ``actor``, the user themselves if None); refused
    while the account must first replace a reset password."""
    if user.must_change_password:
        raise PasswordChangeRequired()
    token = secrets.token_urlsafe(32)
    expires = now + TOKEN_LIFETIME  # answered in the caller's offset, stored in UTC
    async with in_transaction():
        record = await ApiToken.create(
            user=user,
            token_hash=_stored_hash(token),
            label=label,
            created_at=now.astimezone(UTC),
            expires_at=expires.astimezone(UTC),
        )
        summary = _summary(label, user.username)
        await audit(actor or user.username, "create", "api_token", record.id, summary, now)
    return IssuedToken(token, user.role, expires)


async def create_for(owner_id: int | None, label: str, actor: str, now: datetime) -> IssuedToken:
    """An administrator's token for an active account, named by ``label``; TokenInvalid says
    what is missing."""
    label = label.strip()
    if not label:
        raise TokenInvalid("label_required")
    if len(label) > LABEL_LENGTH:
        raise TokenInvalid("label_long")
    owner = None if owner_id is None else await StaffUser.get_or_none(id=owner_id, active=True)
    if owner is None:
        raise TokenInvalid("owner_invalid")
    try:
        return await issue_token(owner, now, label, actor)
    except PasswordChangeRequired:
        raise TokenInvalid("owner_must_change") from None


async def user_for_token(token: str, now: datetime) -> StaffUser | None:
    now = now.astimezone(UTC)
    record = await ApiToken.get_or_none(
        token_hash=_stored_hash(token), revoked_at=None, expires_at__gt=now
    ).prefetch_related("user")
    if record is None or not record.user.active:
        return None
    if record.last_used_at is None or record.last_used_at <= now - USE_REFRESH:
        await ApiToken.filter(id=record.id).update(last_used_at=now)
    return record.user


async def listing() -> list[ApiToken]:
    """The newest tokens with their owners, for the administrators' list."""
    return (
        await ApiToken.all()
        .order_by("-created_at", "-id")
        .prefetch_related("user", "user__counsellor")
        .limit(LISTED)
    )


async def token_of(token_id: int) -> ApiToken | None:
    found: ApiToken | None = await ApiToken.get_or_none(id=token_id).prefetch_related("user")
    return found


async def revoke_token(token_id: int, actor: str, now: datetime) -> None:
    """The token stops working at once; NotFound if there is none. Revoking twice changes
    nothing the second time."""
    async with in_transaction():
        record = await token_of(token_id)
        if record is None:
            raise NotFound()
        if await ApiToken.filter(id=token_id, revoked_at=None).update(revoked_at=now):
            summary = _summary(record.label, record.user.username)
            await audit(actor, "revoke", "api_token", token_id, summary, now)
