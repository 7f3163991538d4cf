"""Errors raised by source adapters.

Parsers are pure (`bytes -> polars.DataFrame`) and know nothing of URLs or partitions: they raise
`PayloadError` with what was wrong. The asset layer wraps it in `SourceError`, which names the
provider, the URL (without secrets) and the partition, so an operator can act on the message.
"""

from __future__ import annotations

import os


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


class MissingApiKeyError(RuntimeError):
    """An API key a live request needs is not set in the environment."""


def api_key_from_env(variable: str, service: str, signup_url: str) -> str:
    """The key in `variable`, or a `MissingApiKeyError` naming the variable, the service and
    where to get a key (the key is sent with the request and never stored)."""
    key = os.environ.get(variable, "").strip()
    if not key:
        raise MissingApiKeyError(
            f"{variable} is not set: {service} needs a (free) key, {signup_url}; export it as"
            f" {variable}=<key> (it is sent as the api_key parameter and never stored)"
        )
    return key
