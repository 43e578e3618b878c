"""The store side of the OGC API: the published collections and the SQL of item pages and tiles.

Query functions take a connection and return records (issue 10 item 5); the HTTP layer
(``app/routes/ogc.py``) parses, negotiates and renders, and holds no SQL of its own.
"""
