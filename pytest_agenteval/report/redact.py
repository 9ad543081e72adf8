"""Secrets masked in what the plugin writes or prints: values of secret-looking environment variables become
`<redacted:NAME>`, matches of the user's --eval-redact patterns `<redacted>`. docs/secrets.md says which.
Pure: imports neither pytest nor the collect/run stages; the environment is passed in.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

# `*_API_KEY`, `*_TOKEN` (the bare names too), `*SECRET*`, `*PASSWORD*`, in any case.
SECRET_NAME = re.compile(r"(?:^|_)(?:API_?KEY|TOKEN)$|SECRET|PASSWORD", re.IGNORECASE)
MIN_SECRET_LENGTH = 8  # shorter values ("1", "true", "admin") would mask common words everywhere
PATTERN_MARKER = "<redacted>"
_MARKERS = re.compile(r"(<redacted(?::[A-Za-z0-9_.-]*)?>)")  # user patterns never rewrite a marker

# Fields of the stored task model kept as they are: identities and fixed vocabularies (masking them would
# change which task a result is, or break the schema). docs/secrets.md lists them.
KEPT_FIELDS = frozenset({"task_id", "base_task_id", "suite", "node_id", "worker", "verdict", "outcome", "kind",
                         "budget", "trace_id", "span_id", "parent_id", "key", "tags", "type", "variant"})
# Fields holding nested stored models, masked field by field; any other nested value is the user's data,
# masked whole, keys included.
MODEL_FIELDS = frozenset({"exception", "error", "tokens", "feedback", "trace_ref", "budget_violations", "trace",
                          "steps", "tool_requests"})


def secret_variables(environ: Mapping[str, str]) -> dict[str, str]:
    """The environment's secret-looking variables (name -> value) whose values are long enough to mask."""
    return {name: value for name, value in environ.items()
            if len(value) >= MIN_SECRET_LENGTH and SECRET_NAME.search(name)}


@dataclass(frozen=True)
class Redactor:
    """Masks secret values (and the forms JSON and repr write them in) and user patterns in text and data."""

    markers: Mapping[str, str] = field(default_factory=dict)  # each written form of a secret -> its marker
    patterns: tuple[re.Pattern[str], ...] = ()
    literal: re.Pattern[str] | None = None
    forms: tuple[str, ...] = ()  # the keys of `markers`, longest first

    @classmethod
    def build(cls, secrets: Mapping[str, str], patterns: Sequence[str] = ()) -> Redactor:
        """From secret variables (name -> value) and --eval-redact regular expressions."""
        markers: dict[str, str] = {}
        for name, value in sorted(secrets.items()):
            for form in (value, json.dumps(value)[1:-1], json.dumps(value, ensure_ascii=False)[1:-1],
                         repr(value)[1:-1]):
                markers.setdefault(form, f"<redacted:{name}>")
        forms = sorted(markers, key=len, reverse=True)  # the longest form first, so a prefix never wins
        literal = re.compile("|".join(map(re.escape, forms))) if forms else None
        return cls(markers, tuple(re.compile(pattern) for pattern in patterns), literal, tuple(forms))

    @classmethod
    def from_environment(cls, environ: Mapping[str, str], patterns: Sequence[str] = ()) -> Redactor:
        return cls.build(secret_variables(environ), patterns)

    @property
    def active(self) -> bool:
        return self.literal is not None or bool(self.patterns)

    def text(self, text: str) -> str:
        """`text` with every secret and every match of a user pattern replaced by its marker."""
        if self.literal is not None and self.holds_secret(text):  # `in` is much faster than the regex
            text = self.literal.sub(lambda match: self.markers[match.group()], text)
        for pattern in self.patterns:
            parts = _MARKERS.split(text)  # odd parts are markers
            parts[::2] = [pattern.sub(_pattern_marker, part) for part in parts[::2]]
            text = "".join(parts)
        return text

    def holds_secret(self, text: str) -> bool:
        return any(form in text for form in self.forms)

    def value(self, value: Any) -> Any:
        """A JSON-shaped value (dicts, lists, scalars) with every string masked, dict keys included."""
        if isinstance(value, str):
            return self.text(value)
        if isinstance(value, dict):
            masked: dict[Any, Any] = {}
            for key, item in value.items():
                name = self.text(key) if isinstance(key, str) else key
                while name in masked:  # two keys that mask alike both stay
                    name = f"{name}#"
                masked[name] = self.value(item)
            return masked
        if isinstance(value, (list, tuple)):
            return [self.value(item) for item in value]
        return value

    def record(self, record: Mapping[str, Any]) -> dict[str, Any]:
        """A stored model's JSON (a task result) masked: identities kept, nested models field by field, every
        other value (inputs, outputs, metadata, details, messages, tracebacks) whole."""
        if not self.patterns and not self._record_holds_secret(record):
            return dict(record)
        masked: dict[str, Any] = {}
        for name, value in record.items():
            if name in KEPT_FIELDS:
                masked[name] = value
            elif name in MODEL_FIELDS:
                masked[name] = self._model(value)
            else:
                masked[name] = self.value(value)
        return masked

    def _record_holds_secret(self, record: Mapping[str, Any]) -> bool:
        """One scan of the record's JSON text (each secret's JSON form is among its forms): most records hold
        none, and then need no walk. User patterns cannot be checked this way (`^`, `$`, escapes)."""
        try:
            text = json.dumps(record, ensure_ascii=False)
        except (TypeError, ValueError, RecursionError):
            return True
        return self.holds_secret(text)

    def _model(self, value: Any) -> Any:
        if isinstance(value, dict):
            return self.record(value)
        if isinstance(value, list):
            return [self._model(item) for item in value]
        return self.value(value)


def _pattern_marker(match: re.Match[str]) -> str:
    return PATTERN_MARKER if match.group() else ""  # a pattern that matches the empty string masks nothing


PYTEST_CURRENT_TEST = "PYTEST_CURRENT_TEST"


class RedactorCache:
    """The redactor for the environment as it is now, rebuilt only when a secret-looking variable was added,
    removed or changed (a fixture that loads a .env file after collection is seen)."""

    def __init__(self, patterns: Sequence[str] = ()) -> None:
        self.patterns = tuple(patterns)
        self._size = -1
        self._named: dict[str, str] = {}
        self._redactor = Redactor()

    def current(self, environ: Mapping[str, str]) -> Redactor:
        # pytest sets and removes PYTEST_CURRENT_TEST around every phase: not counted, or every call rebuilds.
        size = len(environ) - (PYTEST_CURRENT_TEST in environ)
        if size != self._size or any(environ.get(name) != value for name, value in self._named.items()):
            self._size = size
            self._named = {name: value for name, value in environ.items() if SECRET_NAME.search(name)}
            self._redactor = Redactor.build(secret_variables(self._named), self.patterns)
        return self._redactor
