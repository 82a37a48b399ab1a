"""Which e-mail addresses the service accepts: one rule for the forms and for sending.

An address typed into a form must be one a message can be composed for, or the confirmation
(the only mail with the manage link) could never be sent. So input is checked by the same
parser that composing uses (:class:`email.headerregistry.Address`), plus deliberately plain
limits of our own: one ``@``, a dotted domain, no quotes, brackets or separators that people
type by mistake, no control characters, at most 254 characters (RFC 5321).

Pure: no I/O, imported by the booking core and by integrations/mail.py alike.
"""

from __future__ import annotations

import re
import unicodedata
from email.errors import HeaderParseError
from email.headerregistry import Address

EMAIL_MAX = 254

# One @ and a dotted domain, none of the characters that separate or quote addresses.
_SHAPE = re.compile(r"^[^@\s<>\"',;]+@[^@\s<>\"',;]+\.[^@\s<>\"',;]{2,}$")


def _printable(text: str) -> bool:
    return not any(unicodedata.category(ch) in ("Cc", "Cf", "Cs", "Co") for ch in text)


def address_is_usable(text: str) -> bool:
    """Whether a message to ``text`` (already trimmed) can be composed and sent.

    Invariant (tests/test_mail.py): :func:`integrations.mail.compose` accepts a recipient
    exactly when this is true, and keeps it unchanged as the ``To`` address.
    """
    if not text or len(text) > EMAIL_MAX or not _SHAPE.match(text) or not _printable(text):
        return False
    try:
        parsed = Address(addr_spec=text)
    except (HeaderParseError, ValueError, IndexError):
        # Header defects are ValueErrors; each of these means no message could be addressed.
        return False
    # Quoting or comments are normalised away by the parser; a different result means the
    # message would go to another address than the one typed.
    return parsed.addr_spec == text
