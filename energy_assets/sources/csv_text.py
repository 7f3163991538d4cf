"""The checks every CSV provider makes before parsing: the bytes are a whole CSV text file.

`decode_text` refuses an empty body, binary data, non-UTF-8 text and an HTML page (an error
page served with status 200, named by its title), naming the format expected (a JSON provider
calls it with "JSON"); `decode_csv` is it for CSV; `require_final_line_break` refuses a body that does
not end with a line break (every recorded file ends with one, and a cut inside the last number
cannot be told apart from a complete line any other way); `csv_rows` splits the text into the
header and rows with their 1-based line numbers, refusing ragged lines. `what` names the payload
in every message (e.g. "CAISO demand").
"""

from __future__ import annotations

import csv
import io
import re

from energy_assets.sources.errors import PayloadError


def decode_csv(body: bytes, what: str) -> str:
    return decode_text(body, what, "CSV")


def decode_text(body: bytes, what: str, expected: str) -> str:
    """The body as text, or a `PayloadError` naming `what` and the `expected` format."""
    if not body or not body.strip():
        raise PayloadError(f"{what}: empty body")
    if b"\x00" in body:
        raise PayloadError(f"{what}: binary data (NUL bytes), not {expected} text")
    try:
        text = body.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise PayloadError(f"{what}: not UTF-8 text ({exc})") from None
    head = text.lstrip()[:2048].lower()
    if head.startswith("<") or "<html" in head or "<!doctype" in head:
        title = re.search(r"<title[^>]*>(.*?)</title>", text, re.IGNORECASE | re.DOTALL)
        hint = f" titled {' '.join(title.group(1).split())!r}" if title else ""
        raise PayloadError(f"{what}: got an HTML page{hint} instead of {expected} (an error page?)")
    return text


def require_final_line_break(text: str, what: str) -> None:
    if not text.endswith("\n"):
        last = text.rsplit("\n", 1)[-1]
        line_no = text.count("\n") + 1
        raise PayloadError(
            f"{what}: line {line_no} {last[:60]!r} does not end with a line break, so the body"
            " may be cut mid-line (truncated download); the files always end with one"
        )


def csv_rows(text: str, what: str) -> tuple[list[str], list[list[str]], list[int]]:
    """Header, data rows and their 1-based line numbers; ragged or cut lines raise."""
    require_final_line_break(text, what)
    try:
        parsed = list(csv.reader(io.StringIO(text, newline="")))
    except csv.Error as exc:
        raise PayloadError(f"{what}: not parseable as CSV ({exc})") from None
    numbered = [(i + 1, row) for i, row in enumerate(parsed) if any(c.strip() for c in row)]
    if not numbered:
        raise PayloadError(f"{what}: no header and no rows")
    _, header = numbered[0]
    rows, lines = [], []
    for line_no, row in numbered[1:]:
        if len(row) != len(header):
            raise PayloadError(
                f"{what}: line {line_no} has {len(row)} fields, the header has {len(header)}"
                f" (cut or malformed line: {','.join(row)[:80]!r})"
            )
        rows.append(row)
        lines.append(line_no)
    return header, rows, lines


def plain_number(cell: str) -> float | None:
    """A finite plain decimal (ASCII, no `_`, `nan` or `inf`), or None if it is not one."""
    try:
        value = float(cell)
    except ValueError:
        return None
    if value - value != 0 or "_" in cell or not cell.isascii():  # nan/inf fail value - value
        return None
    return value
