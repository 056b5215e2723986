"""Which values are credentials, and how they are hidden: one rule for ``assay eval`` and ``assay perf``.

Three places carry secrets: settings by key name (``api_key``, ``password``), HTTP headers by header
name (``Authorization``, ``X-Api-Key``, ``Cookie``, ``Ocp-Apim-Subscription-Key``) and URLs (the
user-info before ``@``, secret-looking query values). Everything written to a file, a log or the
terminal goes through :func:`mask_secrets` / :func:`mask_url` / :func:`mask_headers`; text that
came back from a server goes through :func:`scrub`, because servers echo bad keys in error messages.

Example:
    >>> mask_url("http://sk-123@host:8000/v1?api_key=sk-123&x=1")
    'http://***@host:8000/v1?api_key=***&x=1'
    >>> mask_headers({"Cookie": "sid=1", "Accept": "text/plain"})
    {'Cookie': '***', 'Accept': 'text/plain'}
    >>> mask_secrets({"api_key": "sk-1", "max_tokens": 5, "extra_headers": {"Ocp-Apim-Subscription-Key": "k"}})
    {'api_key': '***', 'max_tokens': 5, 'extra_headers': {'Ocp-Apim-Subscription-Key': '***'}}
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

__all__ = [
    "MASK",
    "is_secret_header",
    "is_secret_key",
    "mask_headers",
    "mask_secrets",
    "mask_url",
    "scrub",
    "secret_header_values",
]

#: What a hidden value is replaced with.
MASK = "***"
#: Setting names whose values are credentials. Matched as whole words at the end of the name, so
#: counts such as ``max_tokens`` are never masked.
_SECRET_KEYS = re.compile(
    r"(^|[_-])(api[_-]?key|apikey|token|access[_-]?token|secret|client[_-]?secret|password|authorization)$",
    re.IGNORECASE,
)
#: Header names (and URL query names) whose values are credentials, wherever the word appears
#: (``X-Goog-Api-Key``, ``Ocp-Apim-Subscription-Key``, ``Cookie``): wider than the setting rule,
#: because a header has no other reason to carry those words.
_SECRET_HEADER = re.compile(r"auth|key|token|secret|password|cookie|session|signature", re.IGNORECASE)
#: Keys whose value is a dict of HTTP headers (eval's ``extra_headers``, perf's ``headers``).
_HEADER_DICT_KEYS = frozenset({"headers", "extra_headers"})
#: Values that stand for "no key" and hide nothing.
_NOT_SECRET = frozenset({"", "EMPTY"})
#: Shortest secret :func:`scrub` removes: replacing every "a" in a message would hide nothing.
_MIN_SCRUB_CHARS = 4


def is_secret_key(name: str) -> bool:
    """Whether a setting called ``name`` holds a credential (``api_key`` yes, ``max_tokens`` no)."""
    return _SECRET_KEYS.search(name) is not None


def is_secret_header(name: str) -> bool:
    """Whether an HTTP header (or URL query parameter) called ``name`` carries a credential."""
    return _SECRET_HEADER.search(name) is not None


def mask_url(url: str) -> str:
    """``url`` with its whole user-info (``user:password@`` or a lone ``token@``) and secret-looking
    query values (``?key=...``) replaced by ``***``; any other URL comes back unchanged.

    Example:
        >>> mask_url("https://user:pw@example.com/v1"), mask_url("http://127.0.0.1:8000/v1")
        ('https://***@example.com/v1', 'http://127.0.0.1:8000/v1')
    """
    try:
        parts = urlsplit(url)
    except ValueError:
        return url
    netloc = parts.netloc
    if "@" in netloc:
        netloc = f"{MASK}@{netloc.rpartition('@')[2]}"
    query = parts.query
    pairs = parse_qsl(query, keep_blank_values=True)
    if any(is_secret_header(name) for name, _ in pairs):
        query = urlencode([(k, MASK if is_secret_header(k) else v) for k, v in pairs], safe="*")
    if netloc == parts.netloc and query == parts.query:
        return url
    return urlunsplit((parts.scheme, netloc, parts.path, query, parts.fragment))


def mask_headers(headers: Mapping[str, Any]) -> dict[str, Any]:
    """``headers`` with the value of every secret header (:func:`is_secret_header`) masked."""
    return {
        name: MASK if is_secret_header(str(name)) and value not in (None, *_NOT_SECRET) else value
        for name, value in headers.items()
    }


def mask_secrets(value: Any) -> Any:
    """``value`` with every credential in nested dicts and lists masked: settings by key name, header
    dicts by header name, and the user-info and secret query values of every URL string."""
    if isinstance(value, dict):
        return {k: _mask_entry(str(k), v) for k, v in value.items()}
    if isinstance(value, list):
        return [mask_secrets(v) for v in value]
    if isinstance(value, str) and "://" in value:
        return mask_url(value)
    return value


def _mask_entry(name: str, value: Any) -> Any:
    if is_secret_key(name) and isinstance(value, str) and value not in _NOT_SECRET:
        return MASK
    if name.lower() in _HEADER_DICT_KEYS and isinstance(value, dict):
        return mask_secrets(mask_headers(value))
    return mask_secrets(value)


def secret_header_values(headers: Mapping[str, str] | None) -> list[str]:
    """The credentials in ``headers``, for :func:`scrub`: each secret header's value and the parts a
    server may echo alone: the token of ``Bearer <token>`` / ``Basic <token>``, each cookie's value.

    Example:
        >>> secret_header_values({"Cookie": "sid=abc123; theme=dark", "Accept": "*/*"})
        ['sid=abc123; theme=dark', 'abc123', 'dark']
    """
    found: list[str] = []
    for name, value in (headers or {}).items():
        if not is_secret_header(name) or value in _NOT_SECRET:
            continue
        found.append(value)
        scheme, _, token = value.partition(" ")
        if token.strip() and scheme.isalpha():
            found.append(token.strip())
        if "=" in value:
            found.extend(part.partition("=")[2].strip() for part in value.split(";") if "=" in part)
    return [secret for secret in found if secret]


def scrub(text: str, secrets: Iterable[str]) -> str:
    """``text`` with every occurrence of each secret (of 4 characters or more) replaced by ``***``.

    Longer secrets go first, so a token inside a longer header value cannot leave a tail behind.

    Example:
        >>> scrub("invalid key sk-abc123 (Bearer sk-abc123)", ["Bearer sk-abc123", "sk-abc123"])
        'invalid key *** (***)'
    """
    for secret in sorted({s for s in secrets if len(s) >= _MIN_SCRUB_CHARS and s not in _NOT_SECRET}, key=len)[::-1]:
        text = text.replace(secret, MASK)
    return text
