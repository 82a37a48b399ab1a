"""Who gets a session among the counsellors free for it: a pure function.

One entry point, so that the balancing rules can replace the simple rule in one place.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class Candidate:
    counsellor_id: int
    organisation: str
    sessions_today: int


def choose_counsellor(candidates: Sequence[Candidate], prefer: int | None = None) -> Candidate:
    """The preferred counsellor if free (a moved session stays with its counsellor),
    else the one with the fewest sessions that day, ties to the lowest id."""
    assert candidates, "choose_counsellor needs at least one candidate"
    for candidate in candidates:
        if candidate.counsellor_id == prefer:
            return candidate
    return min(candidates, key=lambda c: (c.sessions_today, c.counsellor_id))
