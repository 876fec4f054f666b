"""``python -m ftzchain.cli``: the same as ``ftz``."""

from ftzchain.cli.app import main

main()
