"""The operations surface: one module per CLI command family; each exposes handlers ``(args) ->
exit code``. May import anything in ``connector``.
"""
