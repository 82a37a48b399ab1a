"""Staff accounts: passwords (argon2id, hashed off the event loop), sign-in with throttling,
server-side sessions, what administrators change on accounts, the audit log. (API tokens:
booking/services/api_tokens.py.)"""

from __future__ import annotations

import asyncio
import hashlib
import secrets
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from tortoise.exceptions import IntegrityError
from tortoise.expressions import F
from tortoise.transactions import in_transaction

from booking.access import Principal
from booking.errors import AccountInvalid, BadCredentials, Throttled
from booking.i18n import STAFF_LANGUAGES
from booking.models import (
    ADMIN,
    COUNSELLOR,
    ROLES,
    ApiToken,
    AuditEntry,
    Counsellor,
    LoginFailure,
    LoginLock,
    StaffSession,
    StaffUser,
)

HASHER = PasswordHasher()  # argon2id with the library's current recommended parameters
# Verifying against this keeps the time of a failed sign-in the same whether the name exists.
_DUMMY_HASH = HASHER.hash("no such user")
# argon2 takes about half a second of CPU by design. It runs in these threads, never on the
# event loop (30 sign-ins at once would stall every other request), and at most this many at
# once: more would only slow each other down on a small machine; the rest wait their turn.
HASH_THREADS = 2
_HASH_POOL = ThreadPoolExecutor(max_workers=HASH_THREADS, thread_name_prefix="argon2")

# The sign-in throttle: failures within FAILURE_WINDOW, counted three ways. A name from one
# client is blocked after MAX_FAILURES; one client (an office network behind one address)
# only after MAX_CLIENT_FAILURES across all names, so colleagues' typos do not lock each
# other out; one name after MAX_NAME_FAILURES from all clients together, so nobody can lock
# an account with five guesses, yet guessing from many addresses stays bounded.
MAX_FAILURES = 5
MAX_CLIENT_FAILURES = 30
MAX_NAME_FAILURES = 50
FAILURE_WINDOW = timedelta(minutes=15)

# A session ends after this long without a request, as the cookie does; its end moves
# forward at most every SESSION_REFRESH, so that not every request writes.
SESSION_LIFETIME = timedelta(hours=10)
SESSION_REFRESH = timedelta(minutes=5)
MIN_PASSWORD_LENGTH = 10


def _key(text: str) -> str:
    return hashlib.sha256(text.strip().lower().encode("utf-8")).hexdigest()


def _secret_hash(secret: str) -> str:
    """A random secret's hash, as stored (the secret itself, case and all, is never kept)."""
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def _hash_now(password: str) -> str:
    return HASHER.hash(password)


def _verify_now(password_hash: str, password: str) -> bool:
    try:
        return HASHER.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def hash_password(password: str) -> str:
    """Blocking: for the command line and tests. Request handlers use hash_password_async."""
    return _hash_now(password)


async def hash_password_async(password: str) -> str:
    return await asyncio.get_running_loop().run_in_executor(_HASH_POOL, _hash_now, password)


async def verify_password(password_hash: str, password: str) -> bool:
    loop = asyncio.get_running_loop()
    return await loop.run_in_executor(_HASH_POOL, _verify_now, password_hash, password)


async def principal_of(user: StaffUser) -> Principal:
    organisation_id = None
    if user.role == COUNSELLOR and user.counsellor_id is not None:
        counsellor = await Counsellor.get(id=user.counsellor_id)
        organisation_id = counsellor.organisation_id
    return Principal(user.id, user.username, user.role, organisation_id)


async def _lock(lock_key: str, now: datetime) -> None:
    """Write the key's lock row: until commit, other sign-ins for the key wait here."""
    if await LoginLock.filter(lock_key=lock_key).update(at=now):
        return
    try:
        async with in_transaction():  # a savepoint: PostgreSQL's transaction survives the clash
            await LoginLock.create(lock_key=lock_key, at=now)
    except IntegrityError:  # created by a concurrent sign-in a moment ago; wait for it
        await LoginLock.filter(lock_key=lock_key).update(at=now)


async def _reserve_attempt(username_key: str, client_key: str, now: datetime) -> int:
    """Check the three bounds and count this attempt, as one step: Throttled, or the id of
    the attempt's failure row (deleted again if the password is right).

    Counting the attempt before the password is checked, under locks on the name's and the
    client's rows, is what keeps concurrent guesses from all passing one check: the next
    guess for the name or from the client waits for this commit and then counts this one."""
    since = now - FAILURE_WINDOW
    async with in_transaction():
        # Sorted, so that two sign-ins never wait for each other's second lock.
        for lock_key in sorted({_key(f"name:{username_key}"), _key(f"client:{client_key}")}):
            await _lock(lock_key, now)
        recent = LoginFailure.filter(at__gte=since)
        if (
            await recent.filter(username_key=username_key, client_key=client_key).count()
            >= MAX_FAILURES
            or await recent.filter(client_key=client_key).count() >= MAX_CLIENT_FAILURES
            or await recent.filter(username_key=username_key).count() >= MAX_NAME_FAILURES
        ):
            raise Throttled()
        attempt = await LoginFailure.create(
            username_key=username_key, client_key=client_key, at=now
        )
    return attempt.id


async def authenticate(username: str, password: str, client: str, now: datetime) -> StaffUser:
    """The active user with this name and password, or BadCredentials; Throttled while the
    name from this client, the client, or the name has too many recent failures (see above)."""
    username_key, client_key = _key(username), _key(client)
    now = now.astimezone(UTC)  # SQLite compares stored instants as UTC text
    attempt = await _reserve_attempt(username_key, client_key, now)
    user = await StaffUser.get_or_none(username=username.strip().lower(), active=True)
    ok = await verify_password(user.password_hash if user else _DUMMY_HASH, password)
    if not ok or user is None:
        since = now - FAILURE_WINDOW  # the attempt's row stays: it is the failure
        await LoginFailure.filter(at__lt=since).delete()
        await LoginLock.filter(at__lt=since).delete()
        raise BadCredentials()
    await LoginFailure.filter(id=attempt).delete()
    if HASHER.check_needs_rehash(user.password_hash):
        user.password_hash = await hash_password_async(password)
    user.last_login_at = now
    await user.save(update_fields=["password_hash", "last_login_at"])
    return user


async def recent_failures(username: str, now: datetime) -> int:
    """Failed sign-ins for the name within the throttle's window, from all clients."""
    since = now.astimezone(UTC) - FAILURE_WINDOW
    return await LoginFailure.filter(username_key=_key(username), at__gte=since).count()


async def lift_throttle(user_id: int, actor: str, now: datetime) -> None:
    """Forget the account's failed sign-ins: the name may sign in again from every client."""
    user = await StaffUser.get(id=user_id)
    removed = await LoginFailure.filter(username_key=_key(user.username)).delete()
    await audit(actor, "unlock", "staff_user", user_id, f"{removed} failed sign-ins", now)


async def start_session(user: StaffUser, now: datetime) -> str:
    """A new signed-in session: its key goes into the cookie, only the key's hash is kept."""
    now = now.astimezone(UTC)
    key = secrets.token_urlsafe(32)
    await StaffSession.create(
        key_hash=_secret_hash(key), user=user, created_at=now, expires_at=now + SESSION_LIFETIME
    )
    await StaffSession.filter(expires_at__lt=now).delete()
    return key


async def end_session(key: str) -> None:
    await StaffSession.filter(key_hash=_secret_hash(key)).delete()


async def user_for_session(key: str, version: int, now: datetime) -> StaffUser | None:
    now = now.astimezone(UTC)
    record = await StaffSession.get_or_none(
        key_hash=_secret_hash(key), expires_at__gt=now
    ).prefetch_related("user")
    if record is None or not record.user.active or record.user.session_version != version:
        return None
    if record.expires_at < now + SESSION_LIFETIME - SESSION_REFRESH:
        await StaffSession.filter(id=record.id).update(expires_at=now + SESSION_LIFETIME)
    return record.user


async def _end_sessions_and_tokens(user_id: int, now: datetime) -> None:
    """Every session of the account ends and every API token stops working."""
    await StaffSession.filter(user_id=user_id).delete()
    await ApiToken.filter(user_id=user_id, revoked_at=None).update(revoked_at=now)


def check_new_password(password: str, repeat: str) -> str | None:
    """A message code, or None when the password may be used."""
    if len(password) < MIN_PASSWORD_LENGTH:
        return "password_short"
    if password != repeat:
        return "password_mismatch"
    return None


async def _role_and_profile(role: str, counsellor_id: int | None) -> int | None:
    """The counsellor profile the account keeps: a counsellor account needs an existing one,
    other roles keep none."""
    if role not in ROLES:
        raise AccountInvalid("role_invalid")
    if role != COUNSELLOR:
        return None
    if counsellor_id is None or not await Counsellor.exists(id=counsellor_id):
        raise AccountInvalid("counsellor_required")
    return counsellor_id


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
    counsellor_id = await _role_and_profile(role, counsellor_id)
    if password_hash is None and len(password) < MIN_PASSWORD_LENGTH:
        raise AccountInvalid("password_short")
    if await StaffUser.exists(username=username):
        raise AccountInvalid("username_taken")
    user = await StaffUser.create(
        username=username,
        password_hash=password_hash or await hash_password_async(password),
        role=role,
        counsellor_id=counsellor_id,
    )
    await audit(actor, "create", "staff_user", user.id, f"{username} ({role})", now)
    return user


async def change_password(
    user: StaffUser, current: str, new: str, repeat: str, now: datetime
) -> None:
    """The user's own change: every other session ends and every API token stops working
    (whoever learnt the old password may have made one). The caller signs this browser in
    again."""
    if not await verify_password(user.password_hash, current):
        raise AccountInvalid("password_wrong")
    problem = check_new_password(new, repeat)
    if problem:
        raise AccountInvalid(problem)
    if new == current:  # after a reset the administrator knows the current one
        raise AccountInvalid("password_same")
    new_hash = await hash_password_async(new)
    async with in_transaction():
        await StaffUser.filter(id=user.id).update(
            password_hash=new_hash,
            must_change_password=False,
            session_version=F("session_version") + 1,
        )
        await _end_sessions_and_tokens(user.id, now)
        await audit(user.username, "change", "staff_user", user.id, "password", now)


async def reset_password(user_id: int, actor: str, now: datetime) -> str:
    """An administrator's reset: a new temporary password (returned, to be handed over once),
    which the user must replace at the next sign-in. Ends every session and API token of the
    account and lifts its sign-in throttle."""
    temporary = secrets.token_urlsafe(12)
    new_hash = await hash_password_async(temporary)
    async with in_transaction():
        user = await StaffUser.get(id=user_id)
        await StaffUser.filter(id=user_id).update(
            password_hash=new_hash,
            must_change_password=True,
            session_version=F("session_version") + 1,
        )
        await _end_sessions_and_tokens(user_id, now)
        await LoginFailure.filter(username_key=_key(user.username)).delete()
        await audit(actor, "reset", "staff_user", user_id, "password", now)
    return temporary


async def _active_admins() -> list[StaffUser]:
    """Every active administrator, their rows locked until commit: two administrators taking
    each other's role at the same moment take turns, and the second sees who is left.
    (SQLite runs one transaction at a time anyway.)"""
    return await StaffUser.filter(role=ADMIN, active=True).order_by("id").select_for_update()


def _refuse_lock_out(user: StaffUser, admins: list[StaffUser], actor: str) -> None:
    """Taking away ``user``'s role or account: never one's own (the actor would lock
    themselves out), never the last active administrator's (nobody could manage accounts)."""
    if user.username == actor:
        raise AccountInvalid("own_account")
    if user.role == ADMIN and user.active and not any(a.id != user.id for a in admins):
        raise AccountInvalid("last_admin")


async def change_role(
    user_id: int, role: str, counsellor_id: int | None, actor: str, now: datetime
) -> None:
    """A new role (and counsellor profile). Permissions are read on every request, so the
    account's sessions and tokens carry the new role at once. AccountInvalid for one's own
    role and for the last active administrator's."""
    counsellor_id = await _role_and_profile(role, counsellor_id)
    async with in_transaction():
        admins = await _active_admins()
        user = await StaffUser.get(id=user_id)
        before = f"{user.role}:{user.counsellor_id or ''}"
        after = f"{role}:{counsellor_id or ''}"
        if before == after:
            return
        _refuse_lock_out(user, admins, actor)
        await StaffUser.filter(id=user_id).update(role=role, counsellor_id=counsellor_id)
        await audit(actor, "change", "staff_user", user_id, f"role {before} -> {after}", now)


async def set_active(user_id: int, active: bool, actor: str, now: datetime) -> None:
    """Disabling ends the user's sessions and revokes their API tokens; refused for one's own
    account and for the last active administrator's."""
    async with in_transaction():
        if not active:
            admins = await _active_admins()  # first: then the account is read under the lock
            _refuse_lock_out(await StaffUser.get(id=user_id), admins, actor)
        await StaffUser.filter(id=user_id).update(
            active=active, session_version=F("session_version") + 1
        )
        if not active:
            await _end_sessions_and_tokens(user_id, now)
        await audit(actor, "disable" if not active else "enable", "staff_user", user_id, "", now)


async def remember_language(user: StaffUser, language: str) -> None:
    """The staff language the account reads its pages in; written only when it changes."""
    if language in STAFF_LANGUAGES and language != user.language:
        await StaffUser.filter(id=user.id).update(language=language)
        user.language = language


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
