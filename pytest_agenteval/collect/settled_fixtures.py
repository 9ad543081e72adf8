"""Session fixtures already computed, handed to an eval item without pytest's per-item lookup.

pytest resolves every fixture of an item's closure on every item, even a session fixture whose value is
cached: a new SubRequest each, and a new `request` definition for each that takes `request`. Profiled over 1,000
items with five session fixtures, that lookup took 0.14 s of the items' 0.77 s of setup and call. What pytest
would return is the cached value itself; nothing else happens for a cached fixture (no hook, no finalizer), so
handing it over is the same. Anything not settled (another scope, not computed yet, or cached as an error) is
left to pytest, and so is the whole closure when any fixture in it is parametrized (an eval item has no parameters,
so pytest fails it on that fixture's dependents, which must not be handed over first).
"""

from __future__ import annotations

from typing import Any

import pytest


def settled_session_values(item: pytest.Function) -> dict[str, Any]:
    """The values of the item's session fixtures that pytest has computed and cached without an error."""
    # Private but stable: `_fixtureinfo` (prefetch and pytest-asyncio read it too) and pytest's `cached_result`.
    settled: dict[str, Any] = {}
    for name, definitions in item._fixtureinfo.name2fixturedefs.items():
        if not definitions or name in item.funcargs:
            continue
        definition = definitions[-1]  # the closest one; an override asking for its own name is resolved in it
        if definition.params is not None:
            return {}
        cached = definition.cached_result
        if definition.scope == "session" and cached is not None and cached[2] is None:  # (value, key, error)
            settled[name] = cached[0]
    return settled
