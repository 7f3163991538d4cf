"""One HTTP client for every provider (httpx). No Dagster imports.

- Connect/read timeouts, a descriptive User-Agent.
- Retries with exponential backoff and jitter on 429, 5xx and transport errors (timeouts,
  refused or dropped connections), honouring `Retry-After` (seconds or HTTP-date), capped at
  `max_backoff_s`. Other 4xx (and 3xx left after following redirects) fail at once. After the
  last retry a `FetchError(provider, redacted_url, reason, status)` is raised.
- A per-provider rate limit: a minimum interval between request starts for the same provider
  (CAISO asks for about one request per 5 s). Thread-safe.
- Secrets (`secret_params`, e.g. EIA's `api_key`) are sent on the wire, never kept: they are not
  in `FetchedPayload.url`, log records (ours and httpx's), exception messages or recordings.
- Any 2xx response is returned as is, even an HTML error page or an empty body: parsers judge
  content, and the caller archives it verbatim.

Transports by configuration (`mode`): `live` (the real service), `replay` (serve recorded payloads
from `recordings_dir`, never touch the network; see `energy_assets.sources.replay` for the
layout) and `record` (live, and write what came back in replay layout).
"""

from __future__ import annotations

import hashlib
import logging
import random
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import Literal
from urllib.parse import quote, quote_plus, urlencode

import httpx

from energy_assets import settings
from energy_assets.sources import replay
from energy_assets.sources.errors import FetchError
from energy_assets.sources.replay import DEFAULT_SECRET_PARAM_NAMES, redact_url

__all__ = [
    "DEFAULT_MIN_INTERVAL_S",
    "DEFAULT_USER_AGENT",
    "FetchedPayload",
    "HttpClient",
    "Mode",
    "redact_url",
]

logger = logging.getLogger(__name__)

Mode = Literal["live", "replay", "record"]
MODES: tuple[str, ...] = ("live", "replay", "record")

DEFAULT_USER_AGENT = "energy-assets/0.1 (+https://github.com/energy-assets)"

#: Minimum seconds between request starts per provider. Providers not listed are not limited.
#: Sources: CAISO OASIS asks for ~1 request / 5 s; PJM Data Miner 2 allows non-members
#: 6 requests / min; ERCOT's public API 30 / min; EIA API v2 ~5,000 / h; NREL's APIs (PVWatts)
#: 1,000 / h per key by default; the others are polite defaults for services without a
#: published limit.
DEFAULT_MIN_INTERVAL_S: Mapping[str, float] = {
    "caiso": 5.0,
    "pjm": 10.0,
    "ercot": 2.0,
    "eia": 1.0,
    "eia930": 1.0,
    "isone": 1.0,
    "nyiso": 1.0,
    "miso": 1.0,
    "spp": 1.0,
    "entsoe": 0.5,
    "neso": 0.5,
    "uk_carbon_intensity": 0.5,
    "open_meteo": 0.2,
    "pvwatts": 3.6,
}

_REDACTED = "REDACTED"
_BODY_SNIPPET_CHARS = 200


@dataclass(frozen=True)
class FetchedPayload:
    """What a provider served for one request, verbatim, with where and when."""

    provider: str
    url: str  # full URL with query, secrets removed (never contains an API key)
    status: int
    content_type: str | None
    body: bytes
    fetched_at: datetime  # tz-aware UTC
    sha256: str  # hex of body
    transport: str  # "live" | "replay" | "record"


# --------------------------------------------------------------------------------------------
# Keep secrets out of httpx's own log records ("HTTP Request: GET <url> ...", INFO level).

_secret_names_lock = threading.Lock()
_registered_secret_names: set[str] = set()


class _HttpxLogRedactor(logging.Filter):
    """Removes secret query parameters from URLs in records logged by the `httpx` logger."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.args:
            with _secret_names_lock:
                names = set(_registered_secret_names)
            args = record.args if isinstance(record.args, tuple) else (record.args,)
            cleaned = []
            for arg in args:
                if isinstance(arg, httpx.URL | str) and "?" in str(arg):
                    cleaned.append(redact_url(str(arg), names))
                else:
                    cleaned.append(arg)
            record.args = tuple(cleaned) if isinstance(record.args, tuple) else cleaned[0]
        return True


def _install_httpx_log_redactor() -> None:
    target = logging.getLogger("httpx")
    if not any(isinstance(f, _HttpxLogRedactor) for f in target.filters):
        target.addFilter(_HttpxLogRedactor())


def _register_secret_names(names: Iterable[str]) -> None:
    with _secret_names_lock:
        _registered_secret_names.update(n.lower() for n in names)


# --------------------------------------------------------------------------------------------
# Helpers


def _append_params(url: str, params: Mapping[str, str] | None) -> str:
    """`url` with `params` appended to its query; the existing query is kept byte for byte."""
    if not params:
        return url
    url, _, _fragment = url.partition("#")
    encoded = urlencode([(str(k), str(v)) for k, v in params.items()])
    if "?" not in url:
        return f"{url}?{encoded}"
    return f"{url}{'' if url.endswith(('?', '&')) else '&'}{encoded}"


class _Scrubber:
    """Replaces secret values (raw and URL-encoded) in free text."""

    def __init__(self, values: Iterable[str]):
        forms: set[str] = set()
        for value in values:
            if value:
                forms.update({value, quote(value, safe=""), quote_plus(value)})
        self._forms = sorted(forms, key=len, reverse=True)

    def __call__(self, text: str) -> str:
        for form in self._forms:
            text = text.replace(form, _REDACTED)
        return text


def _parse_retry_after(value: str | None, now: datetime) -> float | None:
    """Seconds to wait from a `Retry-After` header (delta-seconds or HTTP-date), or None."""
    if value is None:
        return None
    value = value.strip()
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when is None:
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - now).total_seconds())


def _utcnow() -> datetime:
    return datetime.now(UTC)


# --------------------------------------------------------------------------------------------
# Client


class HttpClient:
    """GET with timeouts, retries, a per-provider rate limit, and live/replay/record transports.

    `transport` (an `httpx.BaseTransport`, e.g. `httpx.MockTransport`), `sleep`, `clock`, `now`
    and `rng` exist for tests. `min_interval_s` is merged over `DEFAULT_MIN_INTERVAL_S`
    (provider names are compared lower-cased; give 0 to turn a limit off).
    """

    def __init__(
        self,
        mode: Mode = "live",
        recordings_dir: Path | None = None,
        user_agent: str = DEFAULT_USER_AGENT,
        connect_timeout_s: float = 10,
        read_timeout_s: float = 60,
        max_retries: int = 4,
        backoff_base_s: float = 1.0,
        max_backoff_s: float = 60.0,
        min_interval_s: Mapping[str, float] | None = None,
        transport: httpx.BaseTransport | None = None,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
        now: Callable[[], datetime] = _utcnow,
        rng: random.Random | None = None,
    ):
        if mode not in MODES:
            raise ValueError(f"mode must be one of {MODES}, got {mode!r}")
        if max_retries < 0:
            raise ValueError("max_retries must be >= 0")
        self.mode: Mode = mode
        self.recordings_dir = (
            Path(recordings_dir) if recordings_dir is not None else settings.recordings_dir()
        )
        self.user_agent = user_agent
        self.max_retries = max_retries
        self.backoff_base_s = backoff_base_s
        self.max_backoff_s = max_backoff_s
        self.min_interval_s: dict[str, float] = {
            k.lower(): float(v)
            for k, v in {**DEFAULT_MIN_INTERVAL_S, **(min_interval_s or {})}.items()
        }
        self._sleep = sleep
        self._clock = clock
        self._now = now
        self._rng = rng or random.Random()
        self._rate_lock = threading.Lock()
        self._next_start: dict[str, float] = {}
        self._client: httpx.Client | None = None
        if mode != "replay":
            _install_httpx_log_redactor()
            self._client = httpx.Client(
                timeout=httpx.Timeout(
                    connect=connect_timeout_s,
                    read=read_timeout_s,
                    write=read_timeout_s,
                    pool=connect_timeout_s,
                ),
                headers={"User-Agent": user_agent},
                follow_redirects=True,
                transport=transport,
            )

    # -- context management -------------------------------------------------------------------

    def close(self) -> None:
        if self._client is not None:
            self._client.close()

    def __enter__(self) -> HttpClient:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    # -- public -------------------------------------------------------------------------------

    def get(
        self,
        provider: str,
        url: str,
        params: Mapping[str, str] | None = None,
        secret_params: Mapping[str, str] | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> FetchedPayload:
        """GET `url` with `params` (and `secret_params`, sent but never kept).

        Returns any 2xx response verbatim. Raises `FetchError` (naming the provider and the URL
        without secrets) when retries are exhausted, on a 4xx other than 429, or in replay mode
        when no recording exists.
        """
        secret_params = {str(k): str(v) for k, v in (secret_params or {}).items()}
        secret_names = set(secret_params) | DEFAULT_SECRET_PARAM_NAMES
        if secret_params:
            _register_secret_names(secret_params)
        scrub = _Scrubber(secret_params.values())
        wire_url = _append_params(_append_params(url, params), secret_params)
        shown_url = scrub(redact_url(wire_url, secret_names))

        if self.mode == "replay":
            return self._replay(provider, shown_url)

        response = self._fetch_live(provider, wire_url, shown_url, headers, scrub)
        body = response.content
        payload = FetchedPayload(
            provider=provider,
            url=shown_url,
            status=response.status_code,
            content_type=response.headers.get("content-type"),
            body=body,
            fetched_at=self._now(),
            sha256=hashlib.sha256(body).hexdigest(),
            transport=self.mode,
        )
        if self.mode == "record":
            path = replay.write_recording(
                self.recordings_dir,
                payload.url,
                payload.body,
                status=payload.status,
                content_type=payload.content_type,
                fetched_at=payload.fetched_at.isoformat(),
                extra={"provider": provider},
            )
            logger.info("%s: recorded %s -> %s", provider, payload.url, path)
        return payload

    # -- internals ----------------------------------------------------------------------------

    def _replay(self, provider: str, shown_url: str) -> FetchedPayload:
        hit = replay.resolve_replay(self.recordings_dir, shown_url)
        if hit is None:
            where = replay.describe_lookup(self.recordings_dir, shown_url)
            logger.warning("%s: no recording for %s", provider, shown_url)
            raise FetchError(
                provider, shown_url, f"replay: no recording exists for this URL (looked at {where})"
            )
        if not 200 <= hit.status < 300:
            raise FetchError(
                provider,
                shown_url,
                f"replay: the recorded response at {hit.path} failed",
                hit.status,
            )
        body = hit.path.read_bytes()
        logger.debug("%s: replay %s <- %s (%d bytes)", provider, shown_url, hit.path, len(body))
        return FetchedPayload(
            provider=provider,
            url=shown_url,
            status=hit.status,
            content_type=hit.content_type,
            body=body,
            fetched_at=self._now(),
            sha256=hashlib.sha256(body).hexdigest(),
            transport="replay",
        )

    def _wait_turn(self, provider: str) -> None:
        """Sleep until this provider's next request slot; reserve the slot under a lock."""
        interval = self.min_interval_s.get(provider.lower(), 0.0)
        if interval <= 0:
            return
        with self._rate_lock:
            now = self._clock()
            start = max(now, self._next_start.get(provider.lower(), now))
            self._next_start[provider.lower()] = start + interval
        delay = start - now
        if delay > 0:
            logger.debug("%s: rate limit, waiting %.2f s", provider, delay)
            self._sleep(delay)

    def _backoff(self, attempt: int, retry_after: float | None) -> float:
        if retry_after is not None:
            return min(retry_after, self.max_backoff_s)
        ceiling = min(self.max_backoff_s, self.backoff_base_s * 2 ** (attempt - 1))
        return ceiling * (0.5 + 0.5 * self._rng.random())  # "equal jitter"

    def _fetch_live(
        self,
        provider: str,
        wire_url: str,
        shown_url: str,
        headers: Mapping[str, str] | None,
        scrub: _Scrubber,
    ) -> httpx.Response:
        assert self._client is not None
        attempts = self.max_retries + 1
        reason = ""
        status: int | None = None
        for attempt in range(1, attempts + 1):
            self._wait_turn(provider)
            retry_after: float | None = None
            try:
                response = self._client.get(wire_url, headers=dict(headers or {}))
            except httpx.TransportError as exc:  # timeouts, connection errors: retry
                status = None
                reason = f"{type(exc).__name__}: {scrub(str(exc)) or 'no detail'}"
            except httpx.RequestError as exc:  # too many redirects, decoding: fail at once
                raise FetchError(
                    provider, shown_url, f"{type(exc).__name__}: {scrub(str(exc))}"
                ) from None
            else:
                status = response.status_code
                if 200 <= status < 300:
                    logger.debug(
                        "%s: GET %s -> %d (%d bytes, attempt %d)",
                        provider,
                        shown_url,
                        status,
                        len(response.content),
                        attempt,
                    )
                    return response
                phrase = response.reason_phrase or "error"
                if status != 429 and status < 500:
                    snippet = scrub(response.text[:_BODY_SNIPPET_CHARS]).strip()
                    detail = f"; body starts: {snippet!r}" if snippet else ""
                    logger.warning("%s: GET %s -> %d, not retried", provider, shown_url, status)
                    raise FetchError(provider, shown_url, f"{phrase}{detail}", status)
                reason = phrase
                retry_after = _parse_retry_after(response.headers.get("retry-after"), self._now())
            if attempt == attempts:
                break
            delay = self._backoff(attempt, retry_after)
            logger.warning(
                "%s: GET %s failed (%s%s), attempt %d of %d; retrying in %.1f s",
                provider,
                shown_url,
                reason,
                f", HTTP {status}" if status is not None else "",
                attempt,
                attempts,
                delay,
            )
            self._sleep(delay)
        logger.error(
            "%s: GET %s failed after %d attempts: %s", provider, shown_url, attempts, reason
        )
        raise FetchError(
            provider, shown_url, f"gave up after {attempts} attempt(s), last: {reason}", status
        )
