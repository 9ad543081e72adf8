"""While replaying only, a connection no cassette covers (a client vcrpy does not patch) fails loudly
instead of reaching the network: outbound socket connections are refused unless to an allowed host."""

from __future__ import annotations

import socket
from collections.abc import Callable, Sequence
from typing import Any


class BlockedConnectionError(ConnectionRefusedError):
    """A live connection was attempted while replaying from cassettes."""


class ConnectionGuard:
    """Refuses `socket.connect` to hosts outside `allowed` (Unix sockets and socketpairs are never blocked)."""

    def __init__(self, allowed: Sequence[str] = ()) -> None:
        self.allowed = frozenset(allowed) | frozenset(_addresses(allowed))  # names connect by their addresses
        self._original: dict[str, Callable[..., Any]] = {}

    def install(self) -> None:
        for name in ("connect", "connect_ex"):
            original = getattr(socket.socket, name)
            self._original[name] = original
            setattr(socket.socket, name, self._guarded(original))

    def uninstall(self) -> None:
        for name, original in self._original.items():
            setattr(socket.socket, name, original)
        self._original.clear()

    def _guarded(self, original: Callable[..., Any]) -> Callable[..., Any]:
        allowed = self.allowed

        def connect(sock: socket.socket, address: Any, *args: Any) -> Any:
            if sock.family in (socket.AF_INET, socket.AF_INET6) and isinstance(address, tuple):
                host = str(address[0])
                if host not in allowed:
                    raise BlockedConnectionError(
                        f"a live connection to {host}:{address[1]} was blocked: replaying from cassettes "
                        "(--eval-record=none) and this client's requests are not recorded; allow the host with "
                        "--eval-allow-host or record with --eval-record=new")
            return original(sock, address, *args)

        return connect


def _addresses(hosts: Sequence[str]) -> list[str]:
    found: list[str] = []
    for host in hosts:
        try:
            found.extend(str(info[4][0]) for info in socket.getaddrinfo(host, None))
        except (OSError, UnicodeError):  # a name that does not resolve here allows nothing more
            continue
    return found
