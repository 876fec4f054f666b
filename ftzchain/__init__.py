"""ftzchain."""
