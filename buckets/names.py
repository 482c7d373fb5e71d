"""S3 names: the rules for bucket names and object keys, in one place.

There are two bucket-name rules because S3 has two. A bucket the console *creates* must follow
today's strict rule. A bucket the user merely *names* (a grant's bucket list, a logging target, a
replication destination) may be an old one made under the legacy us-east-1 rule, which allowed
capitals, underscores and up to 255 characters; refusing it would lock the user out of a
bucket that exists. Every function returns a sentence (or sentences) saying what is wrong, empty
when the name is fine, so callers can show it as it is.
"""

from __future__ import annotations

import re

MIN_BUCKET_CHARS = 3
MAX_BUCKET_CHARS = 63
MAX_LEGACY_BUCKET_CHARS = 255
MAX_KEY_BYTES = 1024

_STRICT_CHARS = re.compile(r"[^a-z0-9.-]")
_LEGACY_NAME = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?")
_IP_ADDRESS = re.compile(r"\d+\.\d+\.\d+\.\d+")


def bucket_name_problems(name: str) -> list[str]:
    """Every creation rule the name breaks, as sentences, for the live check list of the form."""
    problems = []
    if not MIN_BUCKET_CHARS <= len(name) <= MAX_BUCKET_CHARS:
        # Said even for 64 characters: a name is refused, never cut to fit.
        problems.append(f"Use {MIN_BUCKET_CHARS} to {MAX_BUCKET_CHARS} characters (this name has {len(name)}).")
    if _STRICT_CHARS.search(name):
        problems.append("Use only lowercase letters, digits, dots and hyphens.")
    if name and not (_is_ascii_alnum(name[0]) and _is_ascii_alnum(name[-1])):
        problems.append("Start and end with a letter or digit.")
    if ".." in name or ".-" in name or "-." in name:
        problems.append("No two dots in a row, and no dot next to a hyphen.")
    if _IP_ADDRESS.fullmatch(name):
        problems.append("Do not use the form of an IP address.")
    if name.startswith("xn--") or name.endswith("-s3alias"):
        problems.append("Names starting with xn-- or ending in -s3alias are reserved.")
    return problems


def bucket_name_problem(name: str) -> str:
    """Why a bucket of this name cannot be created, as one sentence; empty when it can."""
    return " ".join(bucket_name_problems(name))


def target_bucket_problem(name: str) -> str:
    """Why this cannot name an existing bucket (legacy rule); empty when it can.

    For buckets the user points at: logging targets, replication destinations.
    """
    if not name:
        return "Name the bucket."
    if len(name) > MAX_LEGACY_BUCKET_CHARS or len(name) < MIN_BUCKET_CHARS:
        return (f"A bucket name has {MIN_BUCKET_CHARS} to {MAX_LEGACY_BUCKET_CHARS} characters "
                f"(this one has {len(name)}).")
    if not _LEGACY_NAME.fullmatch(name) or ".." in name:
        return ("A bucket name uses letters, digits, dots, hyphens or underscores, starts and ends "
                "with a letter or digit and has no two dots in a row.")
    return ""


def grant_bucket_problem(name: str) -> str:
    """Why a grant cannot name this bucket; empty when it can.

    A grant names buckets that exist (or will), possibly legacy ones, so it takes the target rule.
    """
    return target_bucket_problem(name)


def key_problem(key: str) -> str:
    """Why S3 would refuse this key, as a sentence; empty when it is fine."""
    if not key:
        return "The object key is empty."
    if "\x00" in key:
        # S3 lists keys in XML, which cannot carry U+0000, and the database cannot store it.
        return "A key cannot contain the NUL character (U+0000)."
    size = len(key.encode("utf-8"))
    if size > MAX_KEY_BYTES:
        return f"The key is {size} bytes long in UTF-8; S3 allows at most {MAX_KEY_BYTES}."
    return ""


def prefix_problem(prefix: str) -> str:
    """Why a folder or prefix cannot be used, as a sentence; empty when it is fine ("" is the
    whole bucket)."""
    return key_problem(prefix) if prefix else ""


def _is_ascii_alnum(char: str) -> bool:
    # str.isalnum() accepts "é" or "①", which S3 does not.
    return char.isascii() and char.isalnum()
