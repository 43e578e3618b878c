"""Use cases: each resolves what it needs, calls the domain, records and stores; routes only parse and render."""
