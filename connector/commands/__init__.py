"""One module per CLI command family; each exposes handlers ``(args) -> exit code``."""
