"""A local HTTP listener that would serve a JSON-LD context, to prove nothing fetches it."""

from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from ftzchain.devnet import free_port


class ContextListener:
    """A local HTTP server that serves a JSON-LD context and counts every request."""

    def __init__(self) -> None:
        self.requests = 0
        listener = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def do_GET(self) -> None:
                listener.requests += 1
                body = b'{"@context": {"x": "https://x.example/"}}'
                self.send_response(200)
                self.send_header("content-type", "application/ld+json")
                self.send_header("content-length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        self.server = ThreadingHTTPServer(("127.0.0.1", free_port()), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/context.jsonld"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
