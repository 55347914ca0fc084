"""A real Redis Sentinel topology on loopback, from the bundled redis-server binary: a primary, replicas and three
sentinels (`redis-server FILE --sentinel`), configured as docs/operations.md recommends (append-only file,
min-replicas-to-write 1), with failover timings short enough for a test.

Every wait is for an event (a replica online, the sentinels knowing each other, a new primary named), with
a deadline only as a backstop against a broken run, never as a budget.
"""

from __future__ import annotations

import os
import signal
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

import redis as redis_lib

from hotline.redis_server import find_redis_server, free_port

MASTER = "hotline"
# Production: 5 s or more (docs/operations.md#redis-failover). 2 s here: quick, yet a Redis stalled by a loaded
# machine is not taken for dead (an extra failover is survived, but slows the test).
DOWN_AFTER_MS = 2000
FAILOVER_TIMEOUT_MS = 4000
BACKSTOP = 120.0  # seconds: only a broken topology gets here


def _wait(check, what: str, timeout: float = BACKSTOP) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError(f"the Sentinel topology never got there: {what}")
        time.sleep(0.05)


def _answers(check) -> bool:  # type: ignore[no-untyped-def]
    try:
        return bool(check())
    except (redis_lib.ConnectionError, redis_lib.TimeoutError, redis_lib.ResponseError):
        return False


@dataclass
class Node:
    port: int
    folder: Path
    password: str | None = None
    process: subprocess.Popen[bytes] | None = None

    def client(self) -> redis_lib.Redis:
        return redis_lib.Redis(host="127.0.0.1", port=self.port, password=self.password, socket_timeout=1.0,
                               socket_connect_timeout=1.0)

    def kill(self) -> None:
        """SIGKILL, as a crashed machine: no shutdown, no last fsync."""
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait()

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.kill()


@dataclass
class SentinelTopology:
    folder: Path
    replicas: int = 2
    password: str | None = None  # the data nodes' requirepass (and masterauth): REDIS_PASSWORD
    sentinel_password: str | None = None  # the sentinels' own requirepass: REDIS_SENTINEL_PASSWORD
    data: list[Node] = field(default_factory=list)
    sentinels: list[Node] = field(default_factory=list)

    @property
    def addresses(self) -> tuple[tuple[str, int], ...]:
        return tuple(("127.0.0.1", s.port) for s in self.sentinels)

    @property
    def env(self) -> dict[str, str]:
        """What a worker process is given to find the primary: REDIS_SENTINELS, REDIS_SENTINEL_MASTER."""
        env = {"REDIS_SENTINELS": ",".join(f"{h}:{p}" for h, p in self.addresses), "REDIS_SENTINEL_MASTER": MASTER}
        if self.password:
            env["REDIS_PASSWORD"] = self.password
        if self.sentinel_password:
            env["REDIS_SENTINEL_PASSWORD"] = self.sentinel_password
        return env

    def start(self) -> SentinelTopology:
        primary = self._data_node("primary", None)
        replicas = [self._data_node(f"replica{i}", primary.port) for i in range(1, self.replicas + 1)]
        self.data = [primary, *replicas]
        # min-replicas-to-write: the primary takes writes once a replica is online.
        _wait(lambda: _answers(lambda: self._online_replicas(primary) == self.replicas), "replicas online")
        self.sentinels = [self._sentinel(i, primary.port) for i in range(1, 4)]
        for sentinel in self.sentinels:  # each must know the replicas and the other two, or no failover happens
            client = sentinel.client()
            _wait(lambda c=client: _answers(lambda: len(c.sentinel_slaves(MASTER)) == self.replicas
                                            and len(c.sentinel_sentinels(MASTER)) == 2), "sentinels discovered")
        return self

    def primary(self) -> Node:
        host, port = self.sentinels[0].client().sentinel_get_master_addr_by_name(MASTER)
        return next(n for n in self.data if n.port == int(port))

    def kill_primary(self) -> tuple[Node, float]:
        """SIGKILL the primary; (the node, when)."""
        node = self.primary()
        node.kill()
        return node, time.monotonic()

    def wait_for_new_primary(self, old: Node) -> tuple[Node, float]:
        """Block until a sentinel announces `+switch-master` away from `old` and the new primary takes writes
        (it has an online replica again): (the new primary, when)."""
        _wait(lambda: _answers(lambda: self.primary() is not old), "a new primary elected")
        new = self.primary()
        _wait(lambda: _answers(lambda: new.client().role()[0] == b"master" and self._online_replicas(new) >= 1),
              "the new primary has a replica")
        return new, time.monotonic()

    def restart(self, node: Node) -> None:
        """Start a killed data node again, on its port and files; the sentinels make it a replica."""
        self._spawn(node, self._data_args(node))

    def stop(self) -> None:
        for node in [*self.sentinels, *self.data]:
            node.stop()

    def __enter__(self) -> SentinelTopology:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # --- nodes ---------------------------------------------------------------------------------------------

    @staticmethod
    def _online_replicas(node: Node) -> int:
        info = node.client().info("replication")
        return sum(1 for key, value in info.items()
                   if key.startswith("slave") and isinstance(value, dict) and value.get("state") == "online")

    def _data_args(self, node: Node) -> list[str]:
        return [find_redis_server(), "--port", str(node.port), "--bind", "127.0.0.1", "--save", "",
                "--appendonly", "yes", "--appendfsync", "everysec", "--dir", str(node.folder),
                "--min-replicas-to-write", "1", "--min-replicas-max-lag", "10",
                "--repl-diskless-sync", "yes", "--repl-diskless-sync-delay", "0",
                "--logfile", str(node.folder / "redis.log"),
                *(["--requirepass", self.password, "--masterauth", self.password] if self.password else [])]

    def _data_node(self, name: str, primary_port: int | None) -> Node:
        node = Node(free_port(), self.folder / name, self.password)
        node.folder.mkdir(parents=True, exist_ok=True)
        args = self._data_args(node)
        if primary_port is not None:
            args += ["--replicaof", "127.0.0.1", str(primary_port)]
        self._spawn(node, args)
        return node

    def _sentinel(self, index: int, primary_port: int) -> Node:
        node = Node(free_port(), self.folder / f"sentinel{index}", self.sentinel_password)
        node.folder.mkdir(parents=True, exist_ok=True)
        config = node.folder / "sentinel.conf"  # Sentinel rewrites its file as it learns: it must be its own
        config.write_text("\n".join([
            f"port {node.port}", "bind 127.0.0.1", f"dir {node.folder}", f"logfile {node.folder / 'sentinel.log'}",
            f"sentinel monitor {MASTER} 127.0.0.1 {primary_port} 2",
            f"sentinel down-after-milliseconds {MASTER} {DOWN_AFTER_MS}",
            f"sentinel failover-timeout {MASTER} {FAILOVER_TIMEOUT_MS}",
            f"sentinel parallel-syncs {MASTER} 1",
            *([f"sentinel auth-pass {MASTER} {self.password}"] if self.password else []),
            *([f"requirepass {self.sentinel_password}"] if self.sentinel_password else []), ""]))
        self._spawn(node, [find_redis_server(), str(config), "--sentinel"])
        return node

    @staticmethod
    def _spawn(node: Node, args: list[str]) -> None:
        node.process = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                                        start_new_session=True, env={**os.environ})
        client = node.client()
        deadline = time.monotonic() + BACKSTOP
        while True:
            if node.process.poll() is not None:
                error = node.process.stderr.read().decode(errors="replace") if node.process.stderr else ""
                raise AssertionError(f"redis-server on port {node.port} exited at start: {error.strip()}")
            try:
                client.ping()
                return
            except (redis_lib.ConnectionError, redis_lib.TimeoutError):
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.02)
