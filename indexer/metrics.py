"""Prometheus metrics of one indexer process (served on /metrics by `ftz index --metrics-port`)."""

from __future__ import annotations

from wsgiref.simple_server import WSGIServer

from prometheus_client import CollectorRegistry, Counter, Gauge, start_http_server


class IndexerMetrics:
    """Head, indexed block, lag, events and reorgs, in a registry of their own."""

    def __init__(self) -> None:
        self._server: WSGIServer | None = None
        self.registry = CollectorRegistry()
        self.head = Gauge(
            "ftz_indexer_head_block", "Latest block the node reported", registry=self.registry
        )
        self.indexed = Gauge(
            "ftz_indexer_indexed_block", "Last block committed to SQL", registry=self.registry
        )
        self.lag = Gauge("ftz_indexer_lag_blocks", "head - indexed", registry=self.registry)
        self.events = Counter("ftz_indexer_events", "Events written to SQL", registry=self.registry)
        self.events_per_s = Gauge(
            "ftz_indexer_events_per_second",
            "Events per second over the last committed range",
            registry=self.registry,
        )
        self.reorgs = Counter(
            "ftz_indexer_reorgs", "Reorganisations rolled back", registry=self.registry
        )
        self.node_errors = Counter(
            "ftz_indexer_node_errors", "Polls that found the node down", registry=self.registry
        )

    def serve(self, port: int, host: str = "127.0.0.1") -> None:
        """Serve /metrics from a background thread until :meth:`close`."""
        self._server, _thread = start_http_server(port, addr=host, registry=self.registry)

    def close(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
