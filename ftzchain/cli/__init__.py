"""The ``ftz`` command line: the composition root.

This package is the one place that wires every layer together: it may import ``ftzchain``,
``indexer`` and ``api`` (see the import contracts in ``pyproject.toml`` and
``docs/architecture.md``). Nothing else imports it. One module per command group; ``app``
assembles them and holds the entry point.
"""
