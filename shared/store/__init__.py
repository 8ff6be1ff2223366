"""The article store: the sink writes it, `newsflow search` and the API read it."""
