"""The read side: every SQL query the API and the CLI run, as typed functions by domain.

Each function takes an open ``Session`` and plain values and returns dataclasses (or table rows
the caller only reads). Routers translate HTTP to these calls and back; the CLI calls the same
functions. Nothing here imports FastAPI: the import contracts keep it that way.
"""
