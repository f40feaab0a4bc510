"""E-mail addresses."""

import re

from .errors import InvalidValue
from .text import clean_text

_LOCAL = re.compile(r"^[a-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[a-z0-9!#$%&'*+/=?^_`{|}~-]+)*$")
_LABEL = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$")
_DISPLAY_NAME = re.compile(r"^[^<>]*<([^<>]*)>$")
_MAILTO = re.compile(r"^mailto:", re.IGNORECASE)


def normalize_email(s) -> str | None:
    """Trimmed, lower-cased e-mail address after a syntax check.

    Accepts "mailto:" prefixes and "<...>" wrapping (also "Name <addr>").
    The whole address is lower-cased: mailbox case-sensitivity is allowed by
    RFC 5321 but no real mail system uses it, and matching needs one form.
    """
    text = clean_text(s)
    if text is None:
        return None
    if (wrapped := _DISPLAY_NAME.match(text)) is not None:
        text = wrapped.group(1).strip()
    email = _MAILTO.sub("", text).strip().lower()
    if not email:
        return None
    _check(email, text)
    return email


def _check(email: str, original: str) -> None:
    def invalid(reason: str) -> InvalidValue:
        return InvalidValue(f"e-mail {original!r} {reason}")

    if any(c.isspace() for c in email):
        raise invalid("contains a space")
    if email.count("@") != 1:
        raise invalid("must contain exactly one @")
    local, domain = email.split("@")
    if not local:
        raise invalid("has nothing before the @")
    if ".." in email:
        raise invalid("has consecutive dots")
    if len(local) > 64 or not _LOCAL.match(local):
        raise invalid("has a character not allowed before the @")
    labels = domain.split(".")
    if len(labels) < 2:
        raise invalid("has no dot in its domain")
    if not all(_LABEL.match(label) for label in labels):
        raise invalid("has an invalid domain")
    if not (labels[-1].isalpha() and len(labels[-1]) >= 2 or labels[-1].startswith("xn--")):
        raise invalid("has an invalid top-level domain")
