"""Separate hosts on one machine: Linux network namespaces on a private bridge (needs root).

Each `Host` is a network namespace with one interface on the bridge and an address of
10.77.0.0/24; its processes also get a UTS namespace, so they see their own host name (Celery
names its workers after it). The bridge lives in a namespace of its own: no traffic reaches
the machine's own interfaces. A host is killed by killing every process of its namespace; its
link is cut by taking its port on the bridge down. `Lan.remove` tears everything down.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import signal
import subprocess
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

SUBNET = "10.77.0"
CLONE_NEWNET = 0x40000000


def ip(*arguments: str) -> str:
    return subprocess.run(["ip", *arguments], check=True, capture_output=True, text=True).stdout


@dataclass
class Host:
    name: str  # the host name its processes see
    namespace: str
    address: str
    port_on_bridge: str  # its interface's peer, on the bridge
    lan: str  # the bridge's namespace
    processes: list[subprocess.Popen] = field(default_factory=list)

    def start(
        self, command: Sequence[str], env: dict[str, str], log: IO[bytes]
    ) -> subprocess.Popen:
        """Run `command` on this host (its network, its host name)."""
        named = ["unshare", "--uts", "sh", "-c", 'hostname "$0" && exec "$@"', self.name]
        process = subprocess.Popen(
            ["ip", "netns", "exec", self.namespace, *named, *command],
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        self.processes.append(process)
        return process

    def pids(self) -> list[int]:
        """Its processes now: read ahead of a kill that must land at a chosen instant (listing
        them takes a process of its own, `ip netns pids`, tens of milliseconds)."""
        return [int(pid) for pid in ip("netns", "pids", self.namespace).split()]

    def kill(self, known: Sequence[int] = ()) -> None:
        """The host dies: every process in it is killed at once, none told first (the `known`
        ones first, at once, then any others)."""
        for pid in known:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        kill_all(self.namespace)
        for process in self.processes:
            process.wait(timeout=30)

    def cut_link(self, cut: bool) -> None:
        state = "down" if cut else "up"
        ip("netns", "exec", self.lan, "ip", "link", "set", self.port_on_bridge, state)


class Lan:
    """A bridge and the hosts on it, all named after `prefix` (a run of its own)."""

    def __init__(self, prefix: str) -> None:
        self.prefix = prefix
        self.namespace = f"{prefix}-lan"
        self.hosts: dict[str, Host] = {}

    def create(self) -> None:
        self.remove()  # what a run that crashed left
        ip("netns", "add", self.namespace)
        ip("netns", "exec", self.namespace, "ip", "link", "add", "br0", "type", "bridge")
        ip("netns", "exec", self.namespace, "ip", "link", "set", "br0", "up")

    def add_host(self, name: str, number: int) -> Host:
        namespace = f"{self.prefix}-{name}"
        port = f"{self.prefix}{name}"[:15]  # interface names are at most 15 characters
        ip("netns", "add", namespace)
        ip("link", "add", port, "type", "veth", "peer", "name", "eth0", "netns", namespace)
        ip("link", "set", port, "netns", self.namespace)
        ip("netns", "exec", self.namespace, "ip", "link", "set", port, "master", "br0", "up")
        address = f"{SUBNET}.{number}"
        for command in (
            ["ip", "link", "set", "lo", "up"],
            ["ip", "addr", "add", f"{address}/24", "dev", "eth0"],
            ["ip", "link", "set", "eth0", "up"],
        ):
            ip("netns", "exec", namespace, *command)
        host = Host(name, namespace, address, port, self.namespace)
        self.hosts[name] = host
        return host

    def remove(self) -> None:
        """Kill every process of the run's namespaces and delete them (the veths go too)."""
        names = [line.split()[0] for line in ip("netns", "list").splitlines() if line.strip()]
        mine = [name for name in names if name.startswith(f"{self.prefix}-")]
        for name in mine:
            kill_all(name)
        time.sleep(0.2 if mine else 0)
        for name in mine:
            subprocess.run(["ip", "netns", "del", name], check=False, capture_output=True)


def kill_all(namespace: str) -> None:
    """SIGKILL every process in `namespace` (but this one, which may have entered it)."""
    for pid in ip("netns", "pids", namespace).split():
        if int(pid) == os.getpid():
            continue
        with contextlib.suppress(ProcessLookupError):
            os.kill(int(pid), signal.SIGKILL)


def enter(host: Host) -> None:
    """Move this process (its one thread) into `host`'s network: every socket it opens from
    now on is the host's."""
    libc = ctypes.CDLL(None, use_errno=True)
    handle = os.open(Path("/run/netns") / host.namespace, os.O_RDONLY)
    try:
        if libc.setns(handle, CLONE_NEWNET) != 0:
            raise OSError(ctypes.get_errno(), f"setns into {host.namespace} failed")
    finally:
        os.close(handle)
