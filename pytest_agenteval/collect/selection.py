"""Which `.jsonl` files are eval suites: those given as pytest arguments, and those matched by
`--eval-suite` (or, without it, by the `eval_suites` ini globs). Other JSONL files are data, left alone.
A selected path that is no regular file (a directory, FIFO, device, symlink loop) is never handed to pytest,
which would skip it silently or stop the session: it becomes a suite whose one item is the error naming it.
"""

from __future__ import annotations

import glob
import os
import stat
from collections.abc import Generator, Iterable
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from pytest_agenteval.config import SPECS, option_value

SUITE_SUFFIX = ".jsonl"
UNREADABLE_SUITES_NAME = "agenteval-unreadable-suites"


@dataclass(frozen=True)
class SuiteSelection:
    """The resolved suite files of this session."""

    from_options: tuple[Path, ...]  # files matched by --eval-suite, or else by the ini globs (absolute, as named)
    from_args: frozenset[Path]  # .jsonl files given as plain pytest arguments
    unreadable: frozenset[Path] = frozenset()  # selected paths of either kind that are no regular file
    resolved: frozenset[Path] = field(default=frozenset(), compare=False)  # all of them, symlinks resolved

    def __contains__(self, path: Path) -> bool:
        return resolved_path(path) in self.resolved


def select_suites(config: pytest.Config) -> SuiteSelection:
    """Expand the suite globs once; a command-line pattern that matches nothing is a usage error."""
    matched: list[Path] = []
    given = config.getoption("eval_suites")
    for pattern in option_value(config, SPECS["eval_suites"]):
        found = sorted(Path(os.path.abspath(p)) for p in glob.glob(pattern, recursive=True))
        if not found and given:
            raise pytest.UsageError(f"--eval-suite: no file matches {pattern!r}")
        matched.extend(p for p in found if p.suffix == SUITE_SUFFIX)  # the name decides, not a link's target
    from_args = frozenset(
        path for path in (_arg_path(config, arg) for arg in config.args) if path.suffix == SUITE_SUFFIX
    )
    unique: dict[Path, Path] = {}
    for path in matched:  # one file matched twice (two globs, or a link beside its target) is one suite
        unique.setdefault(resolved_path(path), path)
    from_options = tuple(unique.values())
    unreadable = frozenset(path for path in (*from_options, *from_args) if not is_regular_file(path))
    resolved = frozenset(resolved_path(path) for path in (*from_options, *from_args))
    return SuiteSelection(from_options, from_args, unreadable, resolved)


def add_suites_to_args(config: pytest.Config, selection: SuiteSelection) -> None:
    """Make suites collectable, the way pytest uses testpaths: `--eval-suite` without arguments runs only those
    suites; ini suites join what a bare `pytest` walks; explicit arguments (node ids) are collected as given.
    """
    explicit = config.args_source == pytest.Config.ArgsSource.ARGS
    unreadable = selection.unreadable
    given_unreadable = [arg for arg in config.args if _arg_path(config, arg) in unreadable]
    config.args[:] = [arg for arg in config.args if arg not in given_unreadable]
    if config.getoption("eval_suites") and not explicit:
        config.args[:] = [str(path) for path in selection.from_options if path not in unreadable]
        _report_unreadable(config, [path for path in selection.from_options if path in unreadable])
        return
    if explicit:
        # Explicit arguments (an IDE running one node id): collect exactly what was asked, as pytest does with
        # testpaths; --eval-suite and ini suites count only where a directory argument walks.
        walked = [_arg_path(config, arg) for arg in config.args]
        _report_unreadable(config, [*(_arg_path(config, arg) for arg in given_unreadable),
                                    *_below(walked, (p for p in selection.from_options if p in unreadable))])
        return
    walked = [_arg_path(config, arg) for arg in config.args]
    config.args.extend(str(path) for path in selection.from_options
                       if path not in unreadable and not any(path.is_relative_to(root) for root in walked))
    _report_unreadable(config, [*(_arg_path(config, arg) for arg in given_unreadable),
                                *(p for p in selection.from_options if p in unreadable)])


def is_regular_file(path: Path) -> bool:
    """Whether the path (symlinks followed) is a regular file; a loop or a dangling link is not."""
    try:
        return stat.S_ISREG(os.stat(path).st_mode)
    except (OSError, ValueError):
        return False


def resolved_path(path: Path) -> Path:
    """`path.resolve()`, except that a symlink loop gives the absolute path instead of raising."""
    try:
        return path.resolve()
    except (OSError, RuntimeError):  # RuntimeError: "Symlink loop" before Python 3.13
        return Path(os.path.abspath(path))


class UnreadableSuites:
    """Adds one suite per selected path that is no regular file to the session's collection; its one item is
    the error naming the path (`collect/records.py` says why), so the other suites still run.
    """

    def __init__(self, paths: Iterable[Path]) -> None:
        self.paths = tuple(dict.fromkeys(paths))

    @pytest.hookimpl(wrapper=True)
    def pytest_make_collect_report(self, collector: pytest.Collector) -> Generator[None, pytest.CollectReport,
                                                                                      pytest.CollectReport]:
        report = yield
        if isinstance(collector, pytest.Session) and report.passed:
            from pytest_agenteval.collect.reporting import collect_suite  # the engine loads with the first suite

            report.result.extend(collect_suite(collector, path) for path in self.paths)
        return report


def _report_unreadable(config: pytest.Config, paths: list[Path]) -> None:
    if paths and not config.pluginmanager.has_plugin(UNREADABLE_SUITES_NAME):
        config.pluginmanager.register(UnreadableSuites(paths), UNREADABLE_SUITES_NAME)


def _below(roots: list[Path], paths: Iterable[Path]) -> list[Path]:
    return [path for path in paths if any(path.is_relative_to(root) for root in roots)]


def _arg_path(config: pytest.Config, arg: str) -> Path:
    return Path(os.path.abspath(config.invocation_params.dir / arg.split("::")[0]))
