"""The run's provenance: versions, platform, and the project's git state from `GitProbe`.

The probe is started when a run may be stored and read when the run is built: git's time (a few ms here, far more
in a large repository, where `git status` walks the work tree) passes while the session runs instead of after its
last item.
"""

from __future__ import annotations

import functools
import platform
import subprocess
import sys
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

from pytest_agenteval.results.models import Provenance

GIT_TIMEOUT_S = 5.0
GitState = tuple[str | None, bool | None]  # (commit, dirty); (None, None) outside git


class GitProbe:
    """`git rev-parse HEAD` and `git status` of one directory, run in the background from construction."""

    def __init__(self, root: Path) -> None:
        self._processes: list[subprocess.Popen[str]] = []
        try:
            for command in (["git", "rev-parse", "HEAD"], ["git", "status", "--porcelain", "--untracked-files=no"]):
                self._processes.append(subprocess.Popen(command, cwd=root, stdin=subprocess.DEVNULL,
                                                        stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True))
        except OSError:  # no git (or no such directory)
            self.close()
        self._state: GitState | None = None if len(self._processes) == 2 else (None, None)

    def state(self) -> GitState:
        """The commit and whether tracked files changed, waiting (at most GIT_TIMEOUT_S) for git to answer."""
        if self._state is None:
            try:
                commit, status = (process.communicate(timeout=GIT_TIMEOUT_S)[0] for process in self._processes)
            except subprocess.TimeoutExpired:
                self.close()
                self._state = (None, None)
                return self._state
            answered = all(process.returncode == 0 for process in self._processes)
            self._state = (commit.strip() or None, bool(status.strip())) if answered else (None, None)
        return self._state

    def close(self) -> None:
        """Stop git if it still runs, and reap it: no process outlives the session."""
        for process in self._processes:
            if process.returncode is None:  # never read to its end
                process.kill()  # a no-op once it has exited
                process.communicate()


@functools.cache
def plugin_version() -> str:
    """This plugin's installed version ("unknown" when it runs from a source tree without metadata)."""
    try:
        return version("pytest-agenteval")
    except PackageNotFoundError:
        return "unknown"


def provenance(git: GitState, pytest_version: str) -> Provenance:
    """Where the run came from: versions, platform, and the git state (`GitProbe.state()`) of the project."""
    commit, dirty = git
    return Provenance(plugin_version=plugin_version(), python_version=platform.python_version(),
                      pytest_version=pytest_version, platform=sys.platform, git_commit=commit, git_dirty=dirty)
