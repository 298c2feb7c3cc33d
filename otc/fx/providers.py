"""Fetching a rate feed from where the settings say it lives: an http(s)
URL (the ECB), a file:// URL or a plain path (offline machines, go-live
imports from a downloaded file).

Only these three are accepted: urllib would also open ftp: and data: URLs,
which no rate feed uses and which a mistyped setting should not reach.
"""

from __future__ import annotations

import http.client
import urllib.error
import urllib.request
from pathlib import Path
from urllib.parse import urlsplit

from otc.fx.ecb import MAX_FEED_BYTES

USER_AGENT = "OTC order-to-cash (ECB reference rate import)"


class FeedUnavailableError(Exception):
    """The feed could not be read. `retryable` is True when trying again
    later may succeed (a timeout, a refused connection, a 5xx answer)."""

    def __init__(self, message: str, *, retryable: bool) -> None:
        super().__init__(message)
        self.retryable = retryable


def _read_file(path: Path) -> bytes:
    try:
        size = path.stat().st_size
        if size > MAX_FEED_BYTES:
            raise FeedUnavailableError(f"{path} is {size} bytes: too large", retryable=False)
        return path.read_bytes()
    except OSError as error:
        raise FeedUnavailableError(
            f"cannot read {path}: {error.strerror}", retryable=False
        ) from None


def _read_http(url: str, timeout: float) -> bytes:
    request = urllib.request.Request(url, headers={"User-Agent": USER_AGENT})  # noqa: S310 - scheme checked by the caller
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310
            content: bytes = response.read(MAX_FEED_BYTES + 1)
    except urllib.error.HTTPError as error:
        # 5xx and 429 are passing trouble at the server; any other 4xx means the URL is wrong.
        retryable = error.code >= 500 or error.code == 429
        raise FeedUnavailableError(
            f"{url} answered HTTP {error.code} {error.reason}", retryable=retryable
        ) from None
    except urllib.error.URLError as error:
        raise FeedUnavailableError(f"cannot reach {url}: {error.reason}", retryable=True) from None
    except (TimeoutError, ConnectionError, http.client.HTTPException) as error:
        raise FeedUnavailableError(
            f"reading {url} failed: {error.__class__.__name__} {error}".strip(), retryable=True
        ) from None
    if len(content) > MAX_FEED_BYTES:
        raise FeedUnavailableError(f"{url} sent more than {MAX_FEED_BYTES} bytes", retryable=False)
    return content


def fetch_feed(location: str, *, timeout: float) -> bytes:
    """The bytes at `location` (http(s) URL, file:// URL or path)."""
    location = location.strip()
    parts = urlsplit(location)
    scheme = parts.scheme.lower()
    if scheme in {"http", "https"}:
        return _read_http(location, timeout)
    if scheme == "file":
        return _read_file(Path(urllib.request.url2pathname(parts.path)))
    if scheme and len(scheme) > 1:  # one letter is a Windows drive, i.e. a path
        raise FeedUnavailableError(
            f"'{scheme}:' feeds are not supported: use an http(s) URL, a file:// URL or a path",
            retryable=False,
        )
    return _read_file(Path(location))
