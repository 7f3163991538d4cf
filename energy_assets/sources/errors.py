"""Errors raised by source adapters.

Parsers are pure (`bytes -> polars.DataFrame`) and know nothing of URLs or partitions: they raise
`PayloadError` with what was wrong. The asset layer wraps it in `SourceError`, which names the
provider, the URL (without secrets) and the partition, so an operator can act on the message.
"""

from __future__ import annotations


class PayloadError(ValueError):
    """The bytes are not what the provider normally serves (empty, HTML, truncated, wrong columns)."""


class FetchError(RuntimeError):
    """An HTTP request failed for good (after retries), or replay has no recording for it."""

    def __init__(self, provider: str, url: str, reason: str, status: int | None = None):
        self.provider = provider
        self.url = url
        self.status = status
        self.reason = reason
        where = f" (HTTP {status})" if status is not None else ""
        super().__init__(f"{provider}: {reason}{where}: {url}")


class SourceError(RuntimeError):
    """A payload for one partition could not be turned into rows."""

    def __init__(self, provider: str, url: str, partition: str, reason: str):
        self.provider = provider
        self.url = url
        self.partition = partition
        self.reason = reason
        super().__init__(
            f"{provider} payload for partition {partition} is unusable: {reason} [{url}]"
        )
