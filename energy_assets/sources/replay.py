"""Where recorded HTTP payloads live, so the `replay` transport can serve them offline.

A request URL is looked up under the recordings folder (`ENERGY_ASSETS_RECORDINGS`) in this order:

1. **Route rules**: a regular expression on the URL without its query (or, for a rule that says
   so, with it: SPP's portal names the file in its query) names a relative path.
   CAISO Today's Outlook history files, in both URL forms the site has used
   (`/outlook/SP/History/YYYYMMDD/<name>.csv`, older, and `/outlook/history/YYYYMMDD/<name>.csv`,
   current), live at `caiso_outlook/YYYYMMDD/<name>.csv`. A route is only a hit when the file
   exists; otherwise the lookup goes on.
2. **Index files**: every `*/responses_index.json` directly under the recordings folder, a JSON
   list of `{file, method, uri, status, content_type}` objects (`file` relative to the index's
   folder). URLs are compared without scheme, with the host lower-cased, the query sorted, secret
   and cache-buster parameters (`_=0`) dropped, and CAISO's `/outlook/SP/History/` read as
   `/outlook/history/`. Entries without `uri` (VCR cassettes) are skipped.
3. **Generic layout**: `http/<host>/<path>`, plus `__<16 hex>` when there is a query: the first
   16 hex digits of the sha256 of the sorted, secret-free, cache-buster-free query. A sidecar
   `<file>.meta.json` holds url, status, content_type and fetched_at.

`record_path` says where record mode writes a URL: the route path where a route rule matches,
else the generic path. Record mode writes atomically (temporary file + `os.replace`).

Limitation of the generic layout: a URL whose path is a strict prefix of another recorded URL's
path (`/a/b` and `/a/b/c`) cannot both be recorded without a query, since `b` would have to be a
file and a folder; recording the second one fails with a clear error.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import mimetypes
import os
import re
import tempfile
import threading
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, unquote, urlencode, urlsplit

INDEX_FILE_NAME = "responses_index.json"
META_SUFFIX = ".meta.json"
GENERIC_ROOT = "http"

#: Query parameters that only defeat caches and never change what the server returns.
CACHE_BUSTER_PARAMS: frozenset[str] = frozenset({"_"})

#: Query parameter names treated as secrets everywhere, compared case-insensitively, in addition
#: to the names a caller passes as `secret_params`.
DEFAULT_SECRET_PARAM_NAMES: frozenset[str] = frozenset(
    {
        "api_key",
        "apikey",
        "api-key",
        "key",
        "token",
        "access_token",
        "auth",
        "securitytoken",
        "subscription-key",
        "subscription_key",
        "client_secret",
        "password",
        "secret",
    }
)


@dataclass(frozen=True)
class RouteRule:
    """A regular expression on the URL without query, and the relative path it maps to."""

    name: str
    pattern: re.Pattern[str]
    template: str  # `re.Match.expand` template, e.g. r"caiso_outlook/\1/\2"
    # match the whole URL, query included (decoded), for a site that names the file in its query
    with_query: bool = False

    def path_for(self, url: str) -> str | None:
        match = self.pattern.fullmatch(unquote(url) if self.with_query else strip_query(url))
        return match.expand(self.template) if match else None


ROUTE_RULES: tuple[RouteRule, ...] = (
    RouteRule(
        name="caiso_outlook_history",
        pattern=re.compile(
            r"https?://(?:www\.)?caiso\.com/outlook/(?:SP/History|history)/(\d{8})/"
            r"([A-Za-z0-9][A-Za-z0-9_.-]*\.csv)",
            re.IGNORECASE,
        ),
        template=r"caiso_outlook/\1/\2",
    ),
    # GB Carbon Intensity API national intensity, `/intensity/2023-03-14T12:01Z/fw48h`, recorded
    # as `uk_carbon_intensity/intensity_2023-03-14T1201Z_fw48h.json`
    RouteRule(
        name="uk_carbon_intensity",
        pattern=re.compile(
            r"https?://api\.carbonintensity\.org\.uk/intensity/"
            r"(\d{4}-\d{2}-\d{2}T\d{2})(?::|%3A)(\d{2}Z)/([A-Za-z0-9]+)",
            re.IGNORECASE,
        ),
        template=r"uk_carbon_intensity/intensity_\1\2_\3.json",
    ),
    # SPP Marketplace portal LMP files, `.../download/da-lmp-by-location?path=/2025/03/By_Day/
    # DA-LMP-SL-202503190100.csv`, recorded by file name under `electricitymaps/US_SPP/`
    RouteRule(
        name="spp_lmp_by_location",
        pattern=re.compile(
            r"https?://portal\.spp\.org/file-browser-api/download/(?:da|rtbm)-lmp-by-location"
            r"\?path=/\d{4}/\d{2}/By_Day/((?:DA|RTBM)-LMP-[A-Z-]*\d{8,12}\.csv)",
            re.IGNORECASE,
        ),
        template=r"electricitymaps/US_SPP/\1",
        with_query=True,
    ),
)


@dataclass(frozen=True)
class ReplayHit:
    """A recorded response found for a URL."""

    path: Path
    status: int
    content_type: str | None
    source: str  # "route" | "index" | "generic"


# --------------------------------------------------------------------------------------------
# URL helpers


def strip_query(url: str) -> str:
    """The URL without query and fragment."""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}{parts.path}" if parts.scheme else parts.path


def redact_url(url: str, secret_names: Iterable[str] = ()) -> str:
    """`url` with secret query parameters and any `user:password@` removed.

    Secret names are `secret_names` plus `DEFAULT_SECRET_PARAM_NAMES`, compared case-insensitively.
    The other query parameters are kept byte for byte (order and percent-encoding unchanged), so
    the result is still the URL that identifies the resource.
    """
    names = {s.lower() for s in secret_names}
    parts = urlsplit(url)
    netloc = parts.netloc.rsplit("@", 1)[-1]
    kept = []
    for piece in parts.query.split("&") if parts.query else []:
        if not piece:
            continue
        raw_name = piece.split("=", 1)[0]
        name = unquote(raw_name.replace("+", " ")).lower()
        if name in names or name in DEFAULT_SECRET_PARAM_NAMES:
            continue
        kept.append(piece)
    base = f"{parts.scheme}://{netloc}{parts.path}" if parts.scheme else parts.path
    return f"{base}?{'&'.join(kept)}" if kept else base


def canonical_query(url: str, secret_names: Iterable[str] = ()) -> str:
    """The query, decoded, without secrets and cache-busters, sorted and re-encoded."""
    drop = DEFAULT_SECRET_PARAM_NAMES | {s.lower() for s in secret_names}
    pairs = [
        (k, v)
        for k, v in parse_qsl(urlsplit(url).query, keep_blank_values=True)
        if k not in CACHE_BUSTER_PARAMS and k.lower() not in drop
    ]
    return urlencode(sorted(pairs))


def _host(url: str) -> str:
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    port = parts.port
    default = {"http": 80, "https": 443}.get(parts.scheme.lower())
    return f"{host}:{port}" if port and port != default else host


def _normalized_path(host: str, path: str) -> str:
    if host.endswith("caiso.com"):
        path = re.sub(r"^/outlook/SP/History/", "/outlook/history/", path, flags=re.IGNORECASE)
    return path or "/"


def match_key(url: str) -> str:
    """The key two URLs share when they ask for the same recorded response.

    Scheme is ignored, host lower-cased, CAISO's `/outlook/SP/History/` read as
    `/outlook/history/`, and the query canonicalised by `canonical_query`.
    """
    host = _host(url)
    path = _normalized_path(host, urlsplit(url).path)
    query = canonical_query(url)
    return f"{host}{path}?{query}" if query else f"{host}{path}"


# --------------------------------------------------------------------------------------------
# Layout

_SAFE_SEGMENT = re.compile(r"[^A-Za-z0-9._~%+=,@-]")
_MAX_SEGMENT = 150


def _safe_segment(segment: str) -> str:
    cleaned = _SAFE_SEGMENT.sub("_", segment)
    if cleaned in {"", ".", ".."}:
        cleaned = cleaned.replace(".", "_") or "_"
    if len(cleaned) > _MAX_SEGMENT:
        digest = hashlib.sha256(segment.encode()).hexdigest()[:16]
        cleaned = f"{cleaned[: _MAX_SEGMENT - 18]}__{digest}"
    return cleaned


def route_path(url: str) -> str | None:
    """The relative path a route rule gives `url` (query ignored), or None."""
    for rule in ROUTE_RULES:
        rel = rule.path_for(url)
        if rel is not None:
            return rel
    return None


def generic_relpath(url: str) -> str:
    """`http/<host>/<path>[__<16 hex of sha256 of canonical query>]`."""
    host = _safe_segment(_host(url).replace(":", "_"))
    raw_path = urlsplit(url).path
    segments = [_safe_segment(s) for s in raw_path.split("/") if s]
    if not segments or raw_path.endswith("/"):
        segments.append("_index")
    query = canonical_query(url)
    if query:
        digest = hashlib.sha256(query.encode()).hexdigest()[:16]
        segments[-1] = f"{segments[-1]}__{digest}"
    return "/".join([GENERIC_ROOT, host, *segments])


def record_path(recordings_dir: Path, url: str) -> Path:
    """Where record mode writes the response for `url`: the route path, else the generic path."""
    rel = route_path(url)
    return Path(recordings_dir) / (rel if rel is not None else generic_relpath(url))


def meta_path(body_path: Path) -> Path:
    return body_path.with_name(body_path.name + META_SUFFIX)


def _guess_content_type(path: Path) -> str | None:
    return mimetypes.guess_type(path.name)[0]


def _read_meta(body_path: Path) -> dict[str, Any]:
    try:
        data = json.loads(meta_path(body_path).read_text())
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


# --------------------------------------------------------------------------------------------
# Index files

_index_lock = threading.Lock()
_index_cache: dict[Path, tuple[tuple[tuple[str, float], ...], dict[str, ReplayHit]]] = {}


def index_files(recordings_dir: Path) -> list[Path]:
    """Every `*/responses_index.json` directly under the recordings folder."""
    return sorted(Path(recordings_dir).glob(f"*/{INDEX_FILE_NAME}"))


def _load_index(index_file: Path, into: dict[str, ReplayHit]) -> None:
    entries = json.loads(index_file.read_text())
    if not isinstance(entries, list):
        return
    for entry in entries:
        if not isinstance(entry, dict) or "uri" not in entry or "file" not in entry:
            continue  # cassettes and other non-response entries
        if str(entry.get("method", "GET")).upper() != "GET":
            continue
        key = match_key(str(entry["uri"]))
        into.setdefault(
            key,
            ReplayHit(
                path=index_file.parent / str(entry["file"]),
                status=int(entry.get("status") or 200),
                content_type=entry.get("content_type") or None,
                source="index",
            ),
        )


def _index(recordings_dir: Path) -> dict[str, ReplayHit]:
    root = Path(recordings_dir)
    files = index_files(root)
    stamp = tuple((str(f), f.stat().st_mtime) for f in files)
    with _index_lock:
        cached = _index_cache.get(root)
        if cached is not None and cached[0] == stamp:
            return cached[1]
        mapping: dict[str, ReplayHit] = {}
        for f in files:
            _load_index(f, mapping)
        _index_cache[root] = (stamp, mapping)
        return mapping


# --------------------------------------------------------------------------------------------
# Resolution


def resolve_replay(recordings_dir: Path, url: str) -> ReplayHit | None:
    """The recorded response for `url` (route, then index, then generic layout), or None."""
    root = Path(recordings_dir)
    rel = route_path(url)
    if rel is not None:
        path = root / rel
        if path.is_file():
            meta = _read_meta(path)
            return ReplayHit(
                path=path,
                status=int(meta.get("status") or 200),
                content_type=meta.get("content_type") or _guess_content_type(path),
                source="route",
            )
    hit = _index(root).get(match_key(url))
    if hit is not None and hit.path.is_file():
        return hit
    path = root / generic_relpath(url)
    if path.is_file():
        meta = _read_meta(path)
        return ReplayHit(
            path=path,
            status=int(meta.get("status") or 200),
            content_type=meta.get("content_type") or _guess_content_type(path),
            source="generic",
        )
    return None


def resolve_replay_path(recordings_dir: Path, url: str) -> Path | None:
    """The file holding the recorded body for `url`, or None."""
    hit = resolve_replay(recordings_dir, url)
    return hit.path if hit else None


def describe_lookup(recordings_dir: Path, url: str) -> str:
    """Where `resolve_replay` looked, for a 'no recording' error message."""
    root = Path(recordings_dir)
    places = []
    rel = route_path(url)
    if rel is not None:
        places.append(f"route path {root / rel}")
    n_index = len(index_files(root)) if root.is_dir() else 0
    places.append(f"{n_index} index file(s) {root}/*/{INDEX_FILE_NAME}")
    places.append(f"generic path {root / generic_relpath(url)}")
    return "; ".join(places)


# --------------------------------------------------------------------------------------------
# Writing


def _atomic_write(path: Path, data: bytes) -> None:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except (FileExistsError, NotADirectoryError) as exc:
        raise OSError(
            f"cannot record at {path}: a parent path is a file (another URL's recording)"
        ) from exc
    if path.is_dir():
        raise OSError(f"cannot record at {path}: it is a folder (another URL's recordings)")
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise


def write_recording(
    recordings_dir: Path,
    url: str,
    body: bytes,
    *,
    status: int,
    content_type: str | None,
    fetched_at: str,
    extra: Mapping[str, Any] | None = None,
) -> Path:
    """Write `body` where replay will find it for `url` (which must hold no secrets).

    Returns the body's path. A sidecar `<file>.meta.json` holds url, status, content_type and
    fetched_at. Both writes are atomic.
    """
    path = record_path(recordings_dir, url)
    _atomic_write(path, body)
    meta = {
        "url": url,
        "status": status,
        "content_type": content_type,
        "fetched_at": fetched_at,
        "sha256": hashlib.sha256(body).hexdigest(),
        "bytes": len(body),
        **(extra or {}),
    }
    _atomic_write(meta_path(path), (json.dumps(meta, indent=2) + "\n").encode())
    return path
