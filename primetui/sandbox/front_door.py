"""The practice world's "public address": a loopback TCP forwarder that follows the Elastic IP.

On the internet, moving an Elastic IP changes which server answers for the domain. In the
sandbox every server is on 127.0.0.1, so this forwarder plays the address: for each new
connection it asks the fake AWS which instance the Elastic IP is associated with now and
forwards the bytes (TLS included, untouched) to that instance's local stand-in — prod's
nginx, or the maintenance host's. The wizard's switch verification probes it.
"""

from __future__ import annotations

import contextlib
import select
import socket
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

Route = Callable[[], tuple[str, int] | None]


@dataclass
class FrontDoor:
    """A running forwarder on 127.0.0.1:`port`; `stop()` closes it and every open pipe."""

    port: int
    route: Route
    _listener: socket.socket = field(repr=False, default=None)  # type: ignore[assignment]
    _threads: list[threading.Thread] = field(default_factory=list, repr=False)
    _stopped: threading.Event = field(default_factory=threading.Event, repr=False)

    @property
    def address(self) -> str:
        """host:port to probe."""
        return f"127.0.0.1:{self.port}"

    def _serve(self) -> None:
        while not self._stopped.is_set():
            try:
                conn, _ = self._listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            thread = threading.Thread(target=self._pipe, args=(conn,), daemon=True,
                                      name="front-door-pipe")
            thread.start()
            self._threads = [t for t in self._threads if t.is_alive()] + [thread]

    def _pipe(self, client: socket.socket) -> None:
        with contextlib.ExitStack() as stack:
            stack.enter_context(client)
            try:
                target = self.route()
                if target is None:
                    return
                upstream = stack.enter_context(socket.create_connection(target, timeout=5))
            except OSError:
                return
            sockets = [client, upstream]
            while not self._stopped.is_set():
                ready, _, _ = select.select(sockets, [], [], 0.2)
                for sock in ready:
                    try:
                        data = sock.recv(65536)
                    except OSError:
                        return
                    if not data:
                        return
                    other = upstream if sock is client else client
                    try:
                        other.sendall(data)
                    except OSError:
                        return

    def stop(self) -> None:
        """Stop accepting, close the pipes (they notice within 0.2 s), wait for the threads."""
        self._stopped.set()
        with contextlib.suppress(OSError):
            self._listener.close()
        for thread in self._threads:
            thread.join(timeout=2)


def start_front_door(route: Route) -> FrontDoor:
    """Listen on a free loopback port and forward each connection to `route()`."""
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind(("127.0.0.1", 0))
    listener.listen(32)
    listener.settimeout(0.2)  # accept() wakes up to notice stop()
    door = FrontDoor(port=listener.getsockname()[1], route=route, _listener=listener)
    thread = threading.Thread(target=door._serve, daemon=True, name="front-door")
    thread.start()
    door._threads.append(thread)
    return door


def elastic_ip_route(ec2: Any, allocation_id: str, prod_instance: str,
                     prod: tuple[str, int], maintenance: tuple[str, int]) -> Route:
    """Where the Elastic IP leads now: prod's stand-in, the maintenance host's, or nowhere."""

    def route() -> tuple[str, int] | None:
        found = ec2.describe_addresses(AllocationIds=[allocation_id]).get("Addresses", [])
        instance = found[0].get("InstanceId") if found else None
        if not instance:
            return None
        return prod if instance == prod_instance else maintenance

    return route


def seeded_eip_route(endpoint_url: str, region: str, seed: Any, prod: tuple[str, int],
                     maintenance: tuple[str, int]) -> tuple[str, int] | None:
    """One lookup for the practice world: where the seeded account's Elastic IP leads now."""
    from primetui.sandbox.seed import _client

    ec2 = _client(endpoint_url, region, "ec2")
    return elastic_ip_route(ec2, seed.allocation_id, seed.prod_instance_id, prod, maintenance)()
