"""Who may do what: the one table of access rules, pure, tested as a matrix.

Every staff route names a permission; ``booking/web/auth.py`` enforces it before the handler
runs, so no handler checks roles itself.
"""

from __future__ import annotations

from dataclasses import dataclass

from booking.models import ADMIN, COUNSELLOR, RECEPTION, ROLES

ALL_STAFF = frozenset(ROLES)

PERMISSIONS: dict[str, frozenset[str]] = {
    "staff_home": ALL_STAFF,
    "change_password": ALL_STAFF,
    "manage_users": frozenset({ADMIN}),
    "manage_tokens": frozenset({ADMIN}),
    "read_audit": frozenset({ADMIN}),
    # Day schedules: counsellors their organisation's, reception the location's day, admins all.
    "view_schedule": ALL_STAFF,
    "record_outcome": frozenset({COUNSELLOR, ADMIN}),
    "own_calendar_feed": frozenset({COUNSELLOR}),
    # The welcome desk: today's bookings with contact details, check-in.
    "reception_desk": frozenset({RECEPTION, ADMIN}),
    "administer": frozenset({ADMIN}),
    "read_statistics": frozenset({ADMIN}),
    # Fair shares: admins see every organisation and why each booking went where it went;
    # counsellors (the organisations' leads among them) see their own organisation's row.
    "read_fairness": frozenset({ADMIN, COUNSELLOR}),
    "set_weights": frozenset({ADMIN}),
    "read_allocation": frozenset({ADMIN}),
    # The outbox: admins see why a mail failed and send it again; a message itself is personal
    # data (address, name, session), so opening one is audited.
    "read_mail": frozenset({ADMIN}),
    # The walk-in queue: reception registers walk-ins; counsellors call them at their desk.
    "walk_in_reception": frozenset({RECEPTION, ADMIN}),
    "walk_in_desk": frozenset({COUNSELLOR}),
}


@dataclass(frozen=True)
class Principal:
    """The signed-in member of staff, as the rules see them."""

    user_id: int
    username: str
    role: str
    organisation_id: int | None  # set for counsellors


def allowed(principal: Principal, permission: str) -> bool:
    assert permission in PERMISSIONS, f"unknown permission {permission!r}"
    return principal.role in PERMISSIONS[permission]


def sees_organisation(principal: Principal, organisation_id: int) -> bool:
    """Counsellors see their own organisation's data only; reception and admins see all."""
    if principal.role == COUNSELLOR:
        return principal.organisation_id == organisation_id
    return principal.role in (ADMIN, RECEPTION)
