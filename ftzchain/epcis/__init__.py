"""EPCIS 2.0 documents: bounded reading, validation against GS1's JSON schema, contexts from a
local allow-list, and CBV 2.0 Event Hash IDs as a pure function.

- :mod:`.document`: read and validate a document, find its events;
- :mod:`.contexts`: JSON-LD contexts (never fetched);
- :mod:`.hash_id`: the canonicaliser and the ids.
"""
