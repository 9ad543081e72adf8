"""The `SpanConvention` protocol users implement to read their own span dialect, and the default registry."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from pytest_agenteval.tracing.genai import GenAIConvention
from pytest_agenteval.tracing.model import SpanData
from pytest_agenteval.tracing.openinference import OpenInferenceConvention
from pytest_agenteval.tracing.reading import SpanReading

__all__ = ["DEFAULT_CONVENTIONS", "SpanConvention", "SpanReading", "read_span"]


class SpanConvention(Protocol):
    """Reads one span dialect."""

    def read(self, span: SpanData) -> SpanReading | None:
        """What the span is in this dialect; None when the span is not of this dialect."""
        ...


# OpenInference first: its discriminator is explicit, and some of its spans also carry gen_ai.* keys.
DEFAULT_CONVENTIONS: tuple[SpanConvention, ...] = (OpenInferenceConvention(), GenAIConvention())


def read_span(span: SpanData, conventions: Sequence[SpanConvention]) -> SpanReading | None:
    """The reading of the first convention that recognizes the span."""
    for convention in conventions:
        reading = convention.read(span)
        if reading is not None:
            return reading
    return None
