"""One cassette per task x repeat: where it lives, what may be recorded, and what this run did with it.

Paths are predictable and readable: `DIR/<suite stem>/<task id>/r<repeat>.json`, the id percent-encoded
where a file name cannot hold it. Secrets never reach the file: credential headers, cookies and token
query parameters are dropped, and the run's secret values are masked in every other recorded text.
"""

from __future__ import annotations

import copy
import hashlib
import importlib
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, quote, urlencode, urlsplit, urlunsplit

from pytest_agenteval.replay import readable
from pytest_agenteval.results.models import ReplayRecord, ReplayStatus
from pytest_agenteval.task import Task

RECORD_MODES = {"none": "none", "new": "new_episodes", "all": "all"}  # ours -> vcrpy's
MATCH_ON = ("method", "scheme", "host", "port", "path", "query", "body")
SECRET_HEADERS = frozenset({"authorization", "proxy-authorization", "api-key", "x-api-key", "cookie",
                            "x-goog-api-key", "anthropic-api-key", "openai-organization", "openai-project"})
SECRET_QUERY = frozenset({"key", "api_key", "apikey", "token", "access_token", "auth", "sig", "signature"})
UNSTABLE_RESPONSE_HEADERS = frozenset({"set-cookie", "date", "content-length", "transfer-encoding"})


class CassetteLoadError(Exception):
    """A task's cassette file exists but cannot be read as a cassette."""


class CassetteMissError(Exception):
    """In replay-only mode a request had no recording in its task's cassette; nothing reached the network."""


def cassette_path(root: Path, task: Task) -> Path:
    """`root/<suite stem>/<task id>/r<repeat>.json`."""
    suite = Path(task.suite).stem or "suite"
    return root / _file_name(suite) / _file_name(task.task_id) / f"r{task.repeat}.json"


def _file_name(text: str) -> str:
    name = quote(text, safe=" -_.,+=@()[]{}~")
    return name if name not in ("", ".", "..") else quote(name, safe="")


def unused_cassette_files(root: Path, used: Iterable[str]) -> list[str]:
    """The cassette files under `root` (relative, POSIX) that none of `used` names: stale, or tasks not run."""
    if not root.is_dir():
        return []
    return sorted(set(path.relative_to(root).as_posix() for path in root.rglob("*.json")) - set(used))


class TaskCassette:
    """A vcrpy `Cassette` for one task x repeat, and the outcome the run stores for it."""

    def __init__(self, root: Path, task: Task, mode: str, mask: Callable[[str], str],
                 match_on: Sequence[Any] = ()) -> None:
        cassette_module = importlib.import_module("vcr.cassette")
        self.task = task
        self.path = cassette_path(root, task)
        self.mode = mode
        self.mask = mask
        self.relative_path = self.path.relative_to(root).as_posix()
        self.played = self.recorded = 0
        self.misses: list[str] = []
        cassette_class = cassette_module.Cassette
        kwargs: dict[str, Any] = dict(
            path=str(self.path), serializer=readable, record_mode=RECORD_MODES[mode],
            match_on=tuple(match_on) or matchers(), before_record_request=self._clean_request,
            before_record_response=self._clean_response)
        # "all" records afresh: what the file held is not loaded, and the file is rewritten.
        try:
            self.cassette = cassette_class(**kwargs) if mode == "all" else cassette_class.load(**kwargs)
        except (ValueError, KeyError, TypeError) as exc:  # hand-edited or truncated: say which file, and why
            raise CassetteLoadError(f"{self.path}: not a readable cassette ({type(exc).__name__}: {exc}); fix it, "
                                    "delete it, or record it afresh with --eval-record=all") from exc
        self.recorded_before = len(self.cassette)

    def can_play(self, request: Any) -> bool:
        return bool(self.cassette.can_play_response_for(request))

    def play(self, request: Any) -> Any:
        self.played += 1
        return self.cassette.play_response(request)

    def record(self, request: Any, response: Any) -> None:
        self.recorded += 1
        self.cassette.append(request, response)

    def miss(self, request: Any) -> CassetteMissError:
        """The error for a request this cassette cannot answer (replay-only mode), with a hint at the closest
        recording when one differs only in part (a prompt that changed)."""
        body = request.body if isinstance(request.body, bytes) else str(request.body or "").encode()
        digest = hashlib.sha256(body).hexdigest()[:12]
        hint = self._closest(request)
        message = (f"no recording for {request.method} {self.mask(_without_secrets(request.uri))} (body sha256 "
                   f"{digest}) in the cassette of task {self.task.task_id!r}, repeat {self.task.repeat}: "
                   f"{self.path}{hint}; record it with --eval-record=new")
        self.misses.append(message)
        return CassetteMissError(message)

    def _closest(self, request: Any) -> str:
        matches = self.cassette.find_requests_with_most_matches(request)
        if not matches:
            return " (the cassette holds no such recording)" if self.recorded_before else " (no cassette yet)"
        _, _, failed = matches[0]
        differing = ", ".join(name for name, _ in failed)
        return f" (the closest recording differs in: {differing})" if differing else " (already played)"

    def finish(self) -> ReplayRecord:
        """Write what was recorded; what the task did with its cassette, recordings it left unplayed counted."""
        if self.recorded:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self.cassette._save()  # vcrpy's own save (writes only when something was recorded)
        status: ReplayStatus = "missed" if self.misses else "recorded" if self.recorded else "replayed" if self.played \
            else "no requests"
        unused = max(self.recorded_before - self.played, 0) if self.mode != "all" else 0
        return ReplayRecord(status=status, cassette=self.relative_path, played=self.played, recorded=self.recorded,
                            misses=list(self.misses), unused=unused)

    def _clean_request(self, request: Any) -> Any:
        request = copy.deepcopy(request)  # vcrpy calls this on the live request too, before matching it
        for name in list(request.headers):
            if name.lower() in SECRET_HEADERS:
                del request.headers[name]
        request.uri = self.mask(_without_secrets(request.uri))
        if isinstance(request.body, bytes):
            request.body = _masked_bytes(request.body, self.mask)
        elif isinstance(request.body, str):
            request.body = self.mask(request.body)
        return request

    def _clean_response(self, response: dict[str, Any]) -> dict[str, Any]:
        headers = {name: value for name, value in response.get("headers", {}).items()
                   if name.lower() not in UNSTABLE_RESPONSE_HEADERS}
        body = dict(response.get("body") or {})
        if isinstance(body.get("string"), bytes):
            body["string"] = _masked_bytes(body["string"], self.mask)
        return {**response, "headers": headers, "body": body}


def matchers(rules: Sequence[str] = ()) -> tuple[Any, ...]:
    """vcrpy matchers for `[HOST=]FIELD,...` rules: a rule without a host replaces the default fields, one with a
    host applies to requests to that host. Each field keeps its own matcher (and name, for the miss hints)."""
    fields_for: dict[str | None, frozenset[str]] = {None: frozenset(MATCH_ON)}
    for rule in rules:
        host, _, fields = rule.rpartition("=")
        fields_for[host or None] = frozenset(field.strip() for field in fields.split(","))
    vcr_matchers = importlib.import_module("vcr.matchers")
    return tuple(_field_matcher(name, getattr(vcr_matchers, name), fields_for) for name in MATCH_ON)


def _field_matcher(name: str, check: Callable[[Any, Any], None],
                   fields_for: dict[str | None, frozenset[str]]) -> Callable[[Any, Any], None]:
    def match(live: Any, recorded: Any) -> None:
        if name in fields_for.get(live.host, fields_for[None]):
            check(live, recorded)

    match.__name__ = name
    return match


def _without_secrets(uri: str) -> str:
    parts = urlsplit(uri)
    if not parts.query:
        return uri
    kept = [(name, value) for name, value in parse_qsl(parts.query, keep_blank_values=True)
            if name.lower() not in SECRET_QUERY]
    return urlunsplit(parts._replace(query=urlencode(kept)))


def _masked_bytes(data: bytes, mask: Callable[[str], str]) -> bytes:
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        return data
    return mask(text).encode("utf-8")
