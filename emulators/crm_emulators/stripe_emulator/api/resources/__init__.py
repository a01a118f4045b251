"""One module per family of endpoints; each exposes ``ROUTES``."""
