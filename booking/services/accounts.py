"""Staff accounts: passwords (argon2id), sign-in with throttling, API tokens, the audit log."""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from tortoise.expressions import F, Q

from booking.access import Principal
from booking.errors import DomainError
from booking.models import (
    COUNSELLOR,
    ROLES,
    ApiToken,
    AuditEntry,
    Counsellor,
    LoginFailure,
    StaffUser,
)

HASHER = PasswordHasher()  # argon2id with the library's current recommended parameters
# Verifying against this keeps the time of a failed sign-in the same whether the name exists.
_DUMMY_HASH = HASHER.hash("no such user")

MAX_FAILURES = 5
FAILURE_WINDOW = timedelta(minutes=15)
TOKEN_LIFETIME = timedelta(days=90)
_USERNAME = re.compile(r"^[a-z0-9][a-z0-9._-]{0,63}$")
MIN_PASSWORD_LENGTH = 10


class BadCredentials(DomainError):
    code = "bad_credentials"


class Throttled(DomainError):
    code = "throttled"


class AccountInvalid(DomainError):
    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


@dataclass(frozen=True)
class IssuedToken:
    token: str
    role: str
    expires: datetime


def _key(text: str) -> str:
    return hashlib.sha256(text.strip().lower().encode("utf-8")).hexdigest()


def hash_password(password: str) -> str:
    return HASHER.hash(password)


async def principal_of(user: StaffUser) -> Principal:
    organisation_id = None
    if user.role == COUNSELLOR and user.counsellor_id is not None:  # type: ignore[attr-defined]
        counsellor = await Counsellor.get(id=user.counsellor_id)  # type: ignore[attr-defined]
        organisation_id = counsellor.organisation_id  # type: ignore[attr-defined]
    return Principal(user.id, user.username, user.role, organisation_id)


async def authenticate(username: str, password: str, client: str, now: datetime) -> StaffUser:
    """The active user with this name and password, or BadCredentials; Throttled after
    MAX_FAILURES failures for the name or from the client within FAILURE_WINDOW."""
    username_key, client_key = _key(username), _key(client)
    now = now.astimezone(UTC)  # SQLite compares stored instants as UTC text
    since = now - FAILURE_WINDOW
    failures = await LoginFailure.filter(
        Q(username_key=username_key) | Q(client_key=client_key), at__gte=since
    ).count()
    if failures >= MAX_FAILURES:
        raise Throttled()
    user = await StaffUser.get_or_none(username=username.strip().lower(), active=True)
    try:
        HASHER.verify(user.password_hash if user else _DUMMY_HASH, password)
        ok = user is not None
    except (VerificationError, InvalidHashError):
        ok = False
    if not ok or user is None:
        await LoginFailure.create(username_key=username_key, client_key=client_key, at=now)
        await LoginFailure.filter(at__lt=since).delete()
        raise BadCredentials()
    if HASHER.check_needs_rehash(user.password_hash):
        user.password_hash = HASHER.hash(password)
    user.last_login_at = now
    await user.save(update_fields=["password_hash", "last_login_at"])
    return user


def check_new_password(password: str, repeat: str) -> str | None:
    """A message code, or None when the password may be used."""
    if len(password) < MIN_PASSWORD_LENGTH:
        return "password_short"
    if password != repeat:
        return "password_mismatch"
    return None


async def create_user(
    username: str,
    password: str,
    role: str,
    actor: str,
    now: datetime,
    counsellor_id: int | None = None,
    password_hash: str | None = None,
) -> StaffUser:
    username = username.strip().lower()
    if (
        not username
        or len(username) > 64
        or not username.replace(".", "").replace("-", "").isalnum()
    ):
        raise AccountInvalid("username_invalid")
    if role not in ROLES:
        raise AccountInvalid("role_invalid")
    if role == COUNSELLOR and (
        counsellor_id is None or not await Counsellor.exists(id=counsellor_id)
    ):
        raise AccountInvalid("counsellor_required")
    if password_hash is None and len(password) < MIN_PASSWORD_LENGTH:
        raise AccountInvalid("password_short")
    if await StaffUser.exists(username=username):
        raise AccountInvalid("username_taken")
    user = await StaffUser.create(
        username=username,
        password_hash=password_hash or hash_password(password),
        role=role,
        counsellor_id=counsellor_id if role == COUNSELLOR else None,
    )
    await audit(actor, "create", "staff_user", user.id, f"{username} ({role})", now)
    return user


async def change_password(
    user: StaffUser, current: str, new: str, repeat: str, now: datetime
) -> None:
    try:
        HASHER.verify(user.password_hash, current)
    except (VerificationError, InvalidHashError):
        raise AccountInvalid("password_wrong") from None
    problem = check_new_password(new, repeat)
    if problem:
        raise AccountInvalid(problem)
    await StaffUser.filter(id=user.id).update(
        password_hash=hash_password(new), session_version=F("session_version") + 1
    )
    await audit(user.username, "change", "staff_user", user.id, "password", now)


async def set_active(user_id: int, active: bool, actor: str, now: datetime) -> None:
    """Disabling ends the user's sessions and revokes their API tokens."""
    await StaffUser.filter(id=user_id).update(
        active=active, session_version=F("session_version") + 1
    )
    if not active:
        await ApiToken.filter(user_id=user_id, revoked_at=None).update(revoked_at=now)
    await audit(actor, "disable" if not active else "enable", "staff_user", user_id, "", now)


async def issue_token(user: StaffUser, now: datetime) -> IssuedToken:
    token = secrets.token_urlsafe(32)
    expires = now + TOKEN_LIFETIME
    await ApiToken.create(user=user, token_hash=_key(token), created_at=now, expires_at=expires)
    await audit(user.username, "create", "api_token", user.id, "", now)
    return IssuedToken(token, user.role, expires)


async def user_for_token(token: str, now: datetime) -> StaffUser | None:
    record = await ApiToken.get_or_none(
        token_hash=_key(token), revoked_at=None, expires_at__gt=now.astimezone(UTC)
    ).prefetch_related("user")
    if record is None or not record.user.active:
        return None
    return record.user


async def revoke_token(token_id: int, actor: str, now: datetime) -> None:
    await ApiToken.filter(id=token_id, revoked_at=None).update(revoked_at=now)
    await audit(actor, "revoke", "api_token", token_id, "", now)


async def audit(
    actor: str, action: str, record_type: str, record_id: object, summary: str, now: datetime
) -> None:
    """Who, when, what, which record. Summaries name accounts, never applicants' data."""
    await AuditEntry.create(
        at=now,
        actor=actor,
        action=action,
        record_type=record_type,
        record_id=str(record_id),
        summary=summary[:200],
    )
