"""Content-addressed archive of raw payloads, exactly as the provider served them.

Layout under the archive root: `<provider>/<sha256[:2]>/<sha256>.body` (the bytes) and a sidecar
`<sha256>.json` with the URL (secrets already removed by the HTTP client), status, content type,
transport and when it was first fetched. Identical payloads are stored once. Writes are atomic
(temporary file + rename), so a crash never leaves a half-written blob under its final name.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from energy_assets.atomic import write_atomic

if TYPE_CHECKING:
    from energy_assets.sources.http_client import FetchedPayload


@dataclass(frozen=True)
class ArchivedPayload:
    provider: str
    sha256: str
    path: Path
    url: str
    status: int
    content_type: str | None
    fetched_at: dt.datetime
    size_bytes: int


class PayloadArchive:
    def __init__(self, root: Path):
        self.root = Path(root)

    def blob_path(self, provider: str, sha256: str) -> Path:
        return self.root / provider / sha256[:2] / f"{sha256}.body"

    def put(
        self,
        provider: str,
        body: bytes,
        url: str,
        status: int,
        content_type: str | None,
        fetched_at: dt.datetime,
        transport: str = "live",
    ) -> ArchivedPayload:
        sha256 = hashlib.sha256(body).hexdigest()
        path = self.blob_path(provider, sha256)
        if not path.exists():
            write_atomic(path, body)
        sidecar = path.with_suffix(".json")
        if not sidecar.exists():
            record = {
                "provider": provider,
                "sha256": sha256,
                "url": url,
                "status": status,
                "content_type": content_type,
                "first_fetched_at": fetched_at.isoformat(),
                "transport": transport,
                "size_bytes": len(body),
            }
            write_atomic(sidecar, json.dumps(record, indent=1).encode())
        return ArchivedPayload(
            provider, sha256, path, url, status, content_type, fetched_at, len(body)
        )

    def put_fetched(self, payload: FetchedPayload, body: bytes | None = None) -> ArchivedPayload:
        """`put` of a payload as the HTTP client returned it (`body`: a slice of it to store
        instead of the whole body, e.g. the lines of one market day)."""
        return self.put(
            provider=payload.provider,
            body=payload.body if body is None else body,
            url=payload.url,
            status=payload.status,
            content_type=payload.content_type,
            fetched_at=payload.fetched_at,
            transport=payload.transport,
        )

    def get(self, provider: str, sha256: str) -> bytes:
        data = self.blob_path(provider, sha256).read_bytes()
        if hashlib.sha256(data).hexdigest() != sha256:
            raise ValueError(f"archived {provider} payload {sha256} is corrupt (sha256 differs)")
        return data
