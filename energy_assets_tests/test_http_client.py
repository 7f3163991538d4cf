"""HttpClient: retries, Retry-After, rate limit, secrets, and the replay/record transports.

No network: live mode runs on `httpx.MockTransport`, time on a fake clock.
"""

from __future__ import annotations

import hashlib
import json
import logging
import random
import threading
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path
from urllib.parse import quote, quote_plus

import httpx
import pytest

from energy_assets.sources import replay
from energy_assets.sources.errors import FetchError
from energy_assets.sources.http_client import FetchedPayload, HttpClient, redact_url

NOW = datetime(2026, 3, 11, 12, 0, 0, tzinfo=UTC)
SECRET = "s3cr3t-KEY_value+/="


class FakeTime:
    """A clock that only moves when someone sleeps; records every sleep."""

    def __init__(self) -> None:
        self.t = 1000.0
        self.sleeps: list[float] = []

    def clock(self) -> float:
        return self.t

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.t += seconds

    def now(self) -> datetime:
        return NOW + timedelta(seconds=self.t - 1000.0)


def make_client(handler, fake: FakeTime, **kwargs) -> HttpClient:
    kwargs.setdefault("min_interval_s", {"caiso": 0.0, "eia": 0.0, "test": 0.0})
    return HttpClient(
        transport=httpx.MockTransport(handler),
        sleep=fake.sleep,
        clock=fake.clock,
        now=fake.now,
        rng=random.Random(0),
        **kwargs,
    )


def scripted(*responses):
    """A handler answering with the given responses (or raising given exceptions) in order."""
    seen: list[httpx.Request] = []
    queue = list(responses)

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        item = queue.pop(0)
        if isinstance(item, Exception):
            raise item
        return item

    handler.seen = seen  # type: ignore[attr-defined]
    return handler


# ----------------------------------------------------------------------------------------------
# Live: retries and Retry-After


def test_503_then_success_is_retried_and_returned_verbatim():
    fake = FakeTime()
    handler = scripted(
        httpx.Response(503),
        httpx.Response(200, content=b"a,b\n1,2\n", headers={"content-type": "text/csv"}),
    )
    with make_client(handler, fake) as client:
        payload = client.get("test", "https://example.org/data.csv", params={"day": "20240101"})
    assert isinstance(payload, FetchedPayload)
    assert payload.status == 200
    assert payload.body == b"a,b\n1,2\n"
    assert payload.sha256 == hashlib.sha256(b"a,b\n1,2\n").hexdigest()
    assert payload.content_type == "text/csv"
    assert payload.url == "https://example.org/data.csv?day=20240101"
    assert payload.transport == "live"
    assert payload.fetched_at.tzinfo is not None and payload.fetched_at.utcoffset() == timedelta(0)
    assert len(handler.seen) == 2
    # one backoff sleep: base 1 s with "equal jitter" -> between 0.5 and 1 s
    assert len(fake.sleeps) == 1 and 0.5 <= fake.sleeps[0] <= 1.0
    assert handler.seen[0].headers["user-agent"].startswith("energy-assets/")


def test_backoff_grows_exponentially_and_is_capped():
    fake = FakeTime()
    handler = scripted(*[httpx.Response(502)] * 5, httpx.Response(200, content=b"ok"))
    with make_client(handler, fake, max_retries=5, backoff_base_s=2.0, max_backoff_s=10.0) as c:
        c.get("test", "https://example.org/x")
    ceilings = [2.0, 4.0, 8.0, 10.0, 10.0]
    assert len(fake.sleeps) == 5
    for slept, ceiling in zip(fake.sleeps, ceilings, strict=True):
        assert ceiling / 2 <= slept <= ceiling


def test_429_retry_after_seconds_is_honoured():
    fake = FakeTime()
    handler = scripted(
        httpx.Response(429, headers={"Retry-After": "7"}), httpx.Response(200, content=b"ok")
    )
    with make_client(handler, fake) as client:
        assert client.get("test", "https://example.org/x").body == b"ok"
    assert fake.sleeps == [7.0]


def test_429_retry_after_http_date_is_honoured():
    fake = FakeTime()
    when = format_datetime(NOW + timedelta(seconds=30), usegmt=True)
    handler = scripted(
        httpx.Response(429, headers={"Retry-After": when}), httpx.Response(200, content=b"ok")
    )
    with make_client(handler, fake) as client:
        client.get("test", "https://example.org/x")
    assert fake.sleeps == [30.0]


def test_retry_after_is_capped_at_max_backoff():
    fake = FakeTime()
    handler = scripted(
        httpx.Response(503, headers={"Retry-After": "3600"}), httpx.Response(200, content=b"ok")
    )
    with make_client(handler, fake, max_backoff_s=60.0) as client:
        client.get("test", "https://example.org/x")
    assert fake.sleeps == [60.0]


def test_gives_up_after_max_retries_with_fetch_error():
    fake = FakeTime()
    handler = scripted(*[httpx.Response(500)] * 4)
    with make_client(handler, fake, max_retries=3) as client, pytest.raises(FetchError) as err:
        client.get(
            "eia",
            "https://api.eia.gov/v2/electricity/rto/region-data/data/",
            params={"frequency": "hourly"},
            secret_params={"api_key": SECRET},
        )
    assert len(handler.seen) == 4  # 1 + 3 retries
    assert len(fake.sleeps) == 3
    exc = err.value
    assert exc.provider == "eia"
    assert exc.status == 500
    assert exc.url == "https://api.eia.gov/v2/electricity/rto/region-data/data/?frequency=hourly"
    assert "eia" in str(exc) and exc.url in str(exc) and "500" in str(exc)
    assert SECRET not in str(exc) and "api_key" not in str(exc)


def test_404_fails_at_once_without_retry():
    fake = FakeTime()
    handler = scripted(httpx.Response(404, text="no such report"), httpx.Response(200))
    with make_client(handler, fake) as client, pytest.raises(FetchError) as err:
        client.get("test", "https://example.org/missing.csv")
    assert len(handler.seen) == 1
    assert fake.sleeps == []
    assert err.value.status == 404
    assert "no such report" in str(err.value)


def test_transport_timeout_is_retried():
    fake = FakeTime()
    handler = scripted(
        httpx.ReadTimeout("timed out"),
        httpx.ConnectError("connection refused"),
        httpx.Response(200, content=b"ok"),
    )
    with make_client(handler, fake) as client:
        assert client.get("test", "https://example.org/x").body == b"ok"
    assert len(handler.seen) == 3
    assert len(fake.sleeps) == 2


def test_transport_errors_exhausted_raise_fetch_error_without_status():
    fake = FakeTime()
    handler = scripted(*[httpx.ConnectTimeout("timed out")] * 3)
    with make_client(handler, fake, max_retries=2) as client, pytest.raises(FetchError) as err:
        client.get("test", "https://example.org/x")
    assert err.value.status is None
    assert "ConnectTimeout" in err.value.reason


def test_200_html_error_page_and_empty_body_are_returned_as_is():
    fake = FakeTime()
    html = b"<html><body>Service unavailable</body></html>"
    handler = scripted(
        httpx.Response(200, content=html, headers={"content-type": "text/html"}),
        httpx.Response(200, content=b""),
    )
    with make_client(handler, fake) as client:
        assert client.get("test", "https://example.org/a").body == html
        empty = client.get("test", "https://example.org/b")
    assert empty.body == b"" and empty.sha256 == hashlib.sha256(b"").hexdigest()


# ----------------------------------------------------------------------------------------------
# Secrets


def test_secret_param_sent_on_the_wire_but_never_kept(caplog):
    caplog.set_level(logging.DEBUG)
    fake = FakeTime()
    handler = scripted(
        httpx.Response(503),
        httpx.Response(200, content=b"{}", headers={"content-type": "application/json"}),
        httpx.Response(403, text=f"invalid api_key {SECRET}"),
    )
    url = "https://api.eia.gov/v2/electricity/rto/region-data/data/"
    with make_client(handler, fake) as client:
        payload = client.get(
            "eia", url, params={"frequency": "hourly"}, secret_params={"api_key": SECRET}
        )
        with pytest.raises(FetchError) as err:
            client.get("eia", url, secret_params={"api_key": SECRET})
    # on the wire
    assert handler.seen[0].url.params["api_key"] == SECRET
    assert handler.seen[0].url.params["frequency"] == "hourly"
    # never kept
    assert payload.url == f"{url}?frequency=hourly"
    assert SECRET not in payload.url and "api_key" not in payload.url
    assert SECRET not in str(err.value) and "REDACTED" in str(err.value)
    assert caplog.records, "expected log records (ours and httpx's)"
    assert any(r.name == "httpx" for r in caplog.records)
    for record in caplog.records:
        message = record.getMessage()
        assert SECRET not in message
        assert quote_plus(SECRET) not in message and quote(SECRET, safe="") not in message


def test_redact_url_drops_secret_params_and_keeps_the_rest_verbatim():
    url = "https://h.example/p?fields=a%2C+b&API_KEY=xyz&size=10&securityToken=t&x="
    assert redact_url(url, ["api_key"]) == "https://h.example/p?fields=a%2C+b&size=10&x="
    assert redact_url("https://u:pw@h.example/p?token=1") == "https://h.example/p"
    assert redact_url("https://h.example/p?my_secret=1", ["my_secret"]) == "https://h.example/p"


# ----------------------------------------------------------------------------------------------
# Rate limit


def test_rate_limit_spaces_caiso_requests_and_not_other_providers():
    fake = FakeTime()

    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, content=b"ok")

    starts: list[tuple[str, float]] = []

    def recording_handler(request: httpx.Request) -> httpx.Response:
        starts.append((request.url.host, fake.t))
        return handler(request)

    client = make_client(recording_handler, fake, min_interval_s={"caiso": 5.0, "eia": 0.0})
    with client:
        client.get("caiso", "https://oasis.caiso.com/oasisapi/SingleZip?a=1")
        client.get("eia", "https://api.eia.gov/v2/x")  # other provider: not delayed
        client.get("caiso", "https://oasis.caiso.com/oasisapi/SingleZip?a=2")
        client.get("eia", "https://api.eia.gov/v2/y")
    assert fake.sleeps == [5.0]
    assert starts == [
        ("oasis.caiso.com", 1000.0),
        ("api.eia.gov", 1000.0),
        ("oasis.caiso.com", 1005.0),
        ("api.eia.gov", 1005.0),  # the clock moved while CAISO waited; EIA itself never waits
    ]


def test_rate_limit_counts_retries_and_backoff_time():
    fake = FakeTime()
    handler = scripted(
        httpx.Response(429, headers={"Retry-After": "2"}), httpx.Response(200, content=b"ok")
    )
    with make_client(handler, fake, min_interval_s={"caiso": 5.0}) as client:
        client.get("caiso", "https://oasis.caiso.com/oasisapi/SingleZip")
    assert fake.sleeps == [2.0, 3.0]  # Retry-After, then the rest of CAISO's 5 s


def test_default_rate_limit_for_caiso_is_5_seconds():
    client = HttpClient(mode="replay", recordings_dir=Path("/nonexistent"))
    assert client.min_interval_s["caiso"] == 5.0


def test_rate_limit_is_thread_safe():
    """Eight threads reserve CAISO slots at the same instant: each gets its own 5 s slot."""
    sleeps: list[float] = []
    lock = threading.Lock()
    barrier = threading.Barrier(8)

    def sleep(seconds: float) -> None:
        with lock:
            sleeps.append(seconds)

    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, content=b"ok")

    client = HttpClient(
        transport=httpx.MockTransport(handler),
        min_interval_s={"caiso": 5.0},
        sleep=sleep,
        clock=lambda: 0.0,  # time stands still: delays depend only on the reservations
    )

    def worker(i: int) -> None:
        barrier.wait()
        client.get("caiso", f"https://oasis.caiso.com/oasisapi/SingleZip?i={i}")

    with client:
        threads = [threading.Thread(target=worker, args=(i,)) for i in range(8)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    assert sorted(sleeps) == [5.0 * k for k in range(1, 8)]


# ----------------------------------------------------------------------------------------------
# Replay


def _refuse_network(request: httpx.Request) -> httpx.Response:  # pragma: no cover
    raise AssertionError(f"replay touched the network: {request.url}")


@pytest.mark.parametrize(
    "url",
    [
        "https://www.caiso.com/outlook/SP/History/20200814/demand.csv",
        "https://www.caiso.com/outlook/history/20200814/demand.csv",
        "https://www.caiso.com/outlook/history/20200814/demand.csv?_=0",
    ],
)
def test_replay_caiso_outlook_day_both_url_forms(recordings: Path, url: str):
    expected = (recordings / "caiso_outlook" / "20200814" / "demand.csv").read_bytes()
    with HttpClient(mode="replay", recordings_dir=recordings) as client:
        payload = client.get("caiso", url)
    assert payload.body == expected
    assert payload.sha256 == hashlib.sha256(expected).hexdigest()
    assert payload.status == 200
    assert payload.content_type == "text/csv"
    assert payload.transport == "replay"
    assert payload.url == url
    assert replay.resolve_replay_path(recordings, url) == (
        recordings / "caiso_outlook" / "20200814" / "demand.csv"
    )


def test_replay_ignores_a_given_transport(recordings: Path):
    client = HttpClient(
        mode="replay", recordings_dir=recordings, transport=httpx.MockTransport(_refuse_network)
    )
    with client:
        payload = client.get(
            "caiso", "https://www.caiso.com/outlook/SP/History/20190310/fuelsource.csv"
        )
    assert payload.body.startswith(b"Time,")


@pytest.mark.parametrize(
    "url",
    [
        "https://www.caiso.com/outlook/history/20260311/rtm_forecast_7day.csv",
        "https://www.caiso.com/outlook/history/20260311/rtm_forecast_7day.csv?_=0",
        "https://www.caiso.com/outlook/SP/History/20260311/rtm_forecast_7day.csv",
    ],
)
def test_replay_gridstatus_index_with_and_without_cache_buster(recordings: Path, url: str):
    index = json.loads((recordings / "gridstatus" / "responses_index.json").read_text())
    entry = next(
        e for e in index if e.get("uri", "").endswith("20260311/rtm_forecast_7day.csv?_=0")
    )
    expected = (recordings / "gridstatus" / entry["file"]).read_bytes()
    with HttpClient(mode="replay", recordings_dir=recordings) as client:
        payload = client.get("caiso", url)
    assert payload.body == expected
    assert payload.sha256 == hashlib.sha256(expected).hexdigest()
    assert payload.content_type == "text/csv"
    assert payload.status == 200


def test_replay_index_matches_query_in_any_order(recordings: Path):
    # ISO-NE path-only URL and an ERCOT URL with a query, given with params in another order
    assert (
        replay.resolve_replay_path(
            recordings, "https://webservices.iso-ne.com/api/v1.1/genfuelmix/day/20240309"
        )
        is not None
    )
    url = "https://api.ercot.com/api/public-reports/archive/np3-911-er"
    params = {"download": "1049861718"}
    with HttpClient(mode="replay", recordings_dir=recordings) as client:
        payload = client.get("ercot", url, params=params, secret_params={"subscription": "x"})
    assert payload.content_type == "application/zip"
    assert payload.body[:2] == b"PK"


def test_replay_unknown_url_raises_fetch_error_naming_it(recordings: Path):
    url = "https://www.caiso.com/outlook/history/20990101/demand.csv"
    with (
        HttpClient(mode="replay", recordings_dir=recordings) as client,
        pytest.raises(FetchError) as err,
    ):
        client.get("caiso", url, secret_params={"api_key": SECRET})
    message = str(err.value)
    assert url in message
    assert "no recording" in message
    assert str(recordings) in message
    assert SECRET not in message


# ----------------------------------------------------------------------------------------------
# Record


def test_record_then_replay_serves_identically(tmp_path: Path):
    fake = FakeTime()
    body = b'{"response": {"data": [1, 2, 3]}}'
    handler = scripted(
        httpx.Response(200, content=body, headers={"content-type": "application/json"})
    )
    url = "https://api.eia.gov/v2/electricity/rto/region-data/data/"
    params = {"frequency": "hourly", "facets[respondent][]": "CISO"}
    with make_client(handler, fake, mode="record", recordings_dir=tmp_path) as client:
        recorded = client.get("eia", url, params=params, secret_params={"api_key": SECRET})
    assert recorded.transport == "record"
    path = replay.record_path(tmp_path, recorded.url)
    assert path.read_bytes() == body
    assert path.relative_to(tmp_path).parts[:3] == ("http", "api.eia.gov", "v2")
    assert "__" in path.name  # query hash suffix
    meta = json.loads(replay.meta_path(path).read_text())
    assert meta["url"] == recorded.url and meta["status"] == 200
    assert meta["content_type"] == "application/json"
    for written in tmp_path.rglob("*"):
        if written.is_file():
            assert SECRET.encode() not in written.read_bytes()
            assert b"api_key" not in written.read_bytes()
    assert not [p for p in tmp_path.rglob("*.tmp")]

    # replay with params in another order, without the key
    with HttpClient(mode="replay", recordings_dir=tmp_path) as client:
        replayed = client.get("eia", url, params=dict(reversed(list(params.items()))))
    assert replayed.body == recorded.body
    assert replayed.sha256 == recorded.sha256
    assert replayed.content_type == recorded.content_type
    assert replayed.status == recorded.status


def test_record_caiso_outlook_writes_the_route_path(tmp_path: Path):
    fake = FakeTime()
    body = b"Time,Day ahead forecast,Hour ahead forecast,Current demand\n00:00,1,2,3\n"
    handler = scripted(httpx.Response(200, content=body, headers={"content-type": "text/csv"}))
    url = "https://www.caiso.com/outlook/history/20240310/demand.csv"
    with make_client(handler, fake, mode="record", recordings_dir=tmp_path) as client:
        client.get("caiso", url)
    assert (tmp_path / "caiso_outlook" / "20240310" / "demand.csv").read_bytes() == body
    with HttpClient(mode="replay", recordings_dir=tmp_path) as client:
        old_form = client.get(
            "caiso", "https://www.caiso.com/outlook/SP/History/20240310/demand.csv"
        )
    assert old_form.body == body


def test_generic_layout_paths():
    a = replay.generic_relpath("https://Example.org/a/b.json?y=2&x=1&_=123")
    b = replay.generic_relpath("https://example.org/a/b.json?x=1&y=2")
    assert a == b
    assert a.startswith("http/example.org/a/b.json__") and len(a.rsplit("__", 1)[1]) == 16
    assert replay.generic_relpath("https://example.org/a/b.json") == "http/example.org/a/b.json"
    assert replay.generic_relpath("https://example.org/") == "http/example.org/_index"
    assert ".." not in replay.generic_relpath("https://example.org/a/../../etc/passwd")
