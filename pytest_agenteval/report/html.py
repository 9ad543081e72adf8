"""The HTML report of one stored run (`--eval-html`, `agenteval html`): one self-contained file, no external fetch.

The run and its view (`html_view`) are embedded as JSON that cannot end its `<script>` block, gzip+base64 when
large; `html_assets/report.js` builds the page with `textContent` only, under a CSP that allows no request.
Pure: imports neither pytest nor the collect/run stages.
"""

from __future__ import annotations

import base64
import gzip
import json
import math
import re
from functools import cache
from importlib.resources import files
from pathlib import Path
from typing import Any

from pydantic_core import PydanticSerializationError

from pytest_agenteval.report.html_view import build_view
from pytest_agenteval.report.terminal import printable
from pytest_agenteval.results.models import RunResult
from pytest_agenteval.results.store import write_or_append

# Nothing may be fetched, framed, submitted or connected to, even by a bug: the page only runs its own inline code.
CSP = ("default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; img-src data:; "
       "base-uri 'none'; form-action 'none'")
COMPRESS_FROM = 256 * 1024  # bytes of JSON from which the data is embedded gzip+base64
# Inside a <script> block, "</script", "<!--" and "<script" change the parser's state: every `<` goes. `>` and `&`
# go too (harmless, but the file then holds no markup-like text from agents at all), and U+2028/2029 and lone
# surrogates, which are not valid in a JS source / UTF-8 file.
_UNSAFE_IN_SCRIPT = re.compile("[<>&\u2028\u2029\ud800-\udfff]")
_UNSAFE_BYTES = [(char.encode(), f"\\u{ord(char):04x}".encode()) for char in "<>&\u2028\u2029"]  # in valid UTF-8


def render_html(run: RunResult, *, compress: bool | None = None) -> str:
    """The whole page. `compress`: None decides by size; True or False forces it (for tests and benchmarks)."""
    data = embedded_json(run)
    if compress is None:
        compress = len(data) >= COMPRESS_FROM
    if compress:
        packed = base64.b64encode(gzip.compress(data, compresslevel=6, mtime=0)).decode("ascii")
        block = f'<script type="application/json" id="run-data" data-encoding="gzip+base64">{packed}</script>'
    else:
        block = f'<script type="application/json" id="run-data" data-encoding="json">{data.decode()}</script>'
    title = f"agenteval run {run.run_id}" + (f" ({run.label})" if run.label else "")
    return "\n".join([
        "<!DOCTYPE html>",
        '<html lang="en">',
        "<head>",
        '<meta charset="utf-8">',
        f'<meta http-equiv="Content-Security-Policy" content="{CSP}">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        '<meta name="referrer" content="no-referrer">',
        f"<title>{escape_text(title)}</title>",
        f"<style>{asset('report.css')}</style>",
        "</head>",
        "<body>",
        "<noscript>This report needs JavaScript; the same run is summarized by `agenteval show RUN`.</noscript>",
        '<div id="app" aria-live="polite">Loading the run...</div>',
        block,
        f"<script>{asset('report.js')}</script>",
        "</body>",
        "</html>",
        "",
    ])


def embedded_json(run: RunResult) -> bytes:
    """`{"run": ..., "view": ...}` as UTF-8 JSON that is safe inside a <script> block (see `_UNSAFE_IN_SCRIPT`)."""
    view = script_json(build_view(run)).encode("utf-8")
    try:
        data = RunResult.__pydantic_serializer__.to_json(run)  # NaN and infinities become null
    except PydanticSerializationError:  # lone surrogates, from a run file written by hand: escaped, as JSON allows
        data = json.dumps(finite(run.model_dump(mode="json")), allow_nan=False, separators=(",", ":")).encode()
    for unsafe, escaped in _UNSAFE_BYTES:
        data = data.replace(unsafe, escaped)
    return b'{"run":' + data + b',"view":' + view + b"}"


def finite(value: Any) -> Any:
    """`value` with NaN and infinities (which JSON cannot hold) as None."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {key: finite(item) for key, item in value.items()}
    if isinstance(value, list):
        return [finite(item) for item in value]
    return value


def script_json(data: Any) -> str:
    """JSON text that is safe as the content of a <script> block and still parses to the same value."""
    try:
        text = json.dumps(data, ensure_ascii=False, allow_nan=False, separators=(",", ":"))
    except ValueError:  # NaN or an infinity somewhere (a score): null, which JSON can hold
        text = json.dumps(finite(data), ensure_ascii=False, allow_nan=False, separators=(",", ":"))
    return _UNSAFE_IN_SCRIPT.sub(lambda match: f"\\u{ord(match.group()):04x}", text)


def escape_text(text: str) -> str:
    """Text for an HTML element or attribute (the page's title), control characters shown as escapes."""
    return (printable(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
            .replace('"', "&quot;").replace("'", "&#39;"))


@cache
def asset(name: str) -> str:
    """A file of `html_assets/`, checked so that it cannot end the element it is inlined in."""
    text = files("pytest_agenteval.report").joinpath("html_assets", name).read_text(encoding="utf-8")
    closing = "</script" if name.endswith(".js") else "</style"
    if closing in text.lower():
        raise ValueError(f"html_assets/{name} contains {closing!r}, which would end its inline element")
    return text


def publish_html(run: RunResult, path: Path | None) -> list[str]:
    """Write the report where asked; one note for the terminal. A failed write is a warning ("WARNING:"): the run
    file is what must not be lost, and it is written before this."""
    if path is None:
        return []
    try:
        page = render_html(run)
    except Exception as exc:  # a bug in the renderer must not cost the session its summary or its journal's fate
        return [f"WARNING: HTML report not written to {path}: rendering failed: {type(exc).__name__}: {exc}"]
    try:
        write_or_append(path, page.encode("utf-8"), append=False)
    except OSError as exc:
        return [f"WARNING: HTML report not written to {path}: {exc.strerror or exc}"]
    return [f"HTML report: written to {path}"]
