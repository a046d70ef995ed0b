"""Keep the API key out of every message, log line, ledger row and report.

The key is registered once (when the client is built); :func:`redact` then replaces it,
and anything shaped like a DashScope key (``sk-`` followed by 16+ characters), with a
fixed mask. Shape-based masking also catches a key the service echoes back in an error
body, even one we never registered (e.g. from another environment variable).
"""
from __future__ import annotations

import re

_KEY_SHAPE = re.compile(r"sk-[A-Za-z0-9_\-]{16,}")
_known: set[str] = set()
MASK = "sk-***"


def register(secret: str | None) -> None:
    """Remember a secret so that :func:`redact` masks it wherever it appears."""
    if secret and len(secret) >= 6:
        _known.add(secret)


def redact(text: str) -> str:
    """Return ``text`` with every known secret and key-shaped string masked."""
    for secret in _known:
        if secret in text:
            text = text.replace(secret, MASK)
    return _KEY_SHAPE.sub(MASK, text)
