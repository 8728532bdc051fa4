"""Secrets kept in the database, encrypted at rest (Fernet: AES-128-CBC + HMAC-SHA256).

The key comes from STUDIO_ENCRYPTION_KEY (comma-separated keys: the first encrypts, any decrypts,
so a key can be rotated), or when that is unset from SECRET_KEY. Each is stretched with HKDF under
a label of its own, so the Fernet key is never the setting itself.
"""

from __future__ import annotations

import base64
import functools

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings

from studio.errors import StudioError

_LABEL = b"studio: secrets at rest"


class DecryptionFailed(StudioError):
    """Raised when a stored secret cannot be decrypted with the configured keys (500: a setting)."""

    status = 500


def _fernet_key(secret: str) -> bytes:
    derived = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=_LABEL).derive(secret.encode())
    return base64.urlsafe_b64encode(derived)


@functools.cache
def _cipher(keys: tuple[str, ...]) -> MultiFernet:
    return MultiFernet([Fernet(_fernet_key(key)) for key in keys])


def _keys() -> tuple[str, ...]:
    return tuple(settings.STUDIO_ENCRYPTION_KEYS or [settings.SECRET_KEY])


def encrypt(text: str) -> str:
    """`text` encrypted with the first key, as URL-safe text."""
    return _cipher(_keys()).encrypt(text.encode()).decode()


def decrypt(token: str) -> str:
    """The text `encrypt` made; DecryptionFailed when no configured key opens it."""
    try:
        return _cipher(_keys()).decrypt(token.encode()).decode()
    except (InvalidToken, ValueError):
        raise DecryptionFailed(
            "a stored secret cannot be decrypted: STUDIO_ENCRYPTION_KEY (or SECRET_KEY, when it is "
            "unset) changed since it was saved; add the old key after the new one, or enter it again"
        ) from None
