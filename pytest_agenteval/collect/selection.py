"""Which `.jsonl` files are eval suites: those given as pytest arguments, and those matched by
`--eval-suite` (or, without it, by the `eval_suites` ini globs). Other JSONL files are data, left alone.
"""

from __future__ import annotations

import glob
from dataclasses import dataclass
from pathlib import Path

import pytest

from pytest_agenteval.config import SPECS, option_value

SUITE_SUFFIX = ".jsonl"


@dataclass(frozen=True)
class SuiteSelection:
    """The resolved suite files of this session."""

    from_options: tuple[Path, ...]  # files matched by --eval-suite, or else by the ini globs
    from_args: frozenset[Path]  # .jsonl files given as plain pytest arguments

    def __contains__(self, path: Path) -> bool:
        resolved = path.resolve()
        return resolved in self.from_args or resolved in self.from_options


def select_suites(config: pytest.Config) -> SuiteSelection:
    """Expand the suite globs once; a command-line pattern that matches nothing is a usage error."""
    matched: list[Path] = []
    given = config.getoption("eval_suites")
    for pattern in option_value(config, SPECS["eval_suites"]):
        found = sorted(Path(p).resolve() for p in glob.glob(pattern, recursive=True))
        if not found and given:
            raise pytest.UsageError(f"--eval-suite: no file matches {pattern!r}")
        matched.extend(p for p in found if p.suffix == SUITE_SUFFIX)
    from_args = frozenset(
        path for path in (_arg_path(config, arg) for arg in config.args) if path.suffix == SUITE_SUFFIX
    )
    return SuiteSelection(tuple(dict.fromkeys(matched)), from_args)


def add_suites_to_args(config: pytest.Config, selection: SuiteSelection) -> None:
    """Make suites collectable: `--eval-suite` without arguments runs only those suites; otherwise
    suites join what pytest collects anyway (a bare `pytest` walks testpaths, an IDE passes its ids).
    """
    explicit = config.args_source == pytest.Config.ArgsSource.ARGS
    if config.getoption("eval_suites") and not explicit:
        config.args[:] = [str(path) for path in selection.from_options]
        return
    if explicit and not config.getoption("eval_suites"):
        return  # explicit arguments: collect exactly what was asked
    walked = [_arg_path(config, arg) for arg in config.args]
    config.args.extend(str(path) for path in selection.from_options
                       if not any(path.is_relative_to(root) for root in walked))


def _arg_path(config: pytest.Config, arg: str) -> Path:
    return (config.invocation_params.dir / arg.split("::")[0]).resolve()
