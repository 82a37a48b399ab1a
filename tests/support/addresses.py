"""E-mail addresses the tests of several forms share."""

from __future__ import annotations

# Addresses the regular expression let through but e-mail's own parser (which composing a
# message uses) refuses: the confirmation then could never be sent.
UNSENDABLE = (
    "a..b@example.org",
    "a(b@example.org",
    "x@example.org(y",
    "a)b@example.org",
    ".a@example.org",
    "a.@example.org",
    "a:b@example.org",
    "a@ex(ample.org",
    "a@ex..ample.org",
    "a@example.org.",
    "ü@example.org",
)
