"""The shape of an API key and how it is hashed.

A key reads ``otc_live_k3x9q2m7_<40 letters and digits>``: a public prefix
that finds the row and shows in lists, and a secret of about 238 bits.

Only SHA-256 of the whole key is stored. A slow password hash (PBKDF2,
argon2) protects *guessable* secrets; a random 238-bit secret cannot be
guessed, so a fast digest is as safe and costs nothing per request.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
import string
from dataclasses import dataclass

KEY_NAMESPACE = "otc_live_"
PREFIX_RANDOM_LENGTH = 8
SECRET_LENGTH = 40
_PREFIX_ALPHABET = string.ascii_lowercase + string.digits
_SECRET_ALPHABET = string.ascii_letters + string.digits
_KEY_PATTERN = re.compile(
    rf"^({KEY_NAMESPACE}[a-z0-9]{{{PREFIX_RANDOM_LENGTH}}})_([A-Za-z0-9]{{{SECRET_LENGTH}}})$"
)


@dataclass(frozen=True)
class KeyMaterial:
    prefix: str
    plaintext: str
    secret_hash: str


def hash_key(plaintext: str) -> str:
    return hashlib.sha256(plaintext.encode("ascii")).hexdigest()


def generate_prefix() -> str:
    return KEY_NAMESPACE + "".join(
        secrets.choice(_PREFIX_ALPHABET) for _ in range(PREFIX_RANDOM_LENGTH)
    )


def generate_key(prefix: str | None = None) -> KeyMaterial:
    prefix = prefix or generate_prefix()
    secret = "".join(secrets.choice(_SECRET_ALPHABET) for _ in range(SECRET_LENGTH))
    plaintext = f"{prefix}_{secret}"
    return KeyMaterial(prefix=prefix, plaintext=plaintext, secret_hash=hash_key(plaintext))


def parse_prefix(plaintext: str) -> str | None:
    """The prefix of a well-formed key, or None for anything else."""
    match = _KEY_PATTERN.match(plaintext)
    return match.group(1) if match else None


def digest_matches(plaintext: str, stored_hash: str) -> bool:
    # Constant time, so response timing says nothing about how close a guess was.
    return hmac.compare_digest(hash_key(plaintext), stored_hash)
