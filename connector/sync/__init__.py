"""The sync cycle: the engine that runs the stages in order, its wiring from config and secrets,
mapping hot reload and the API usage kept per day. May import every stage below it (not
``plan``, ``commands``, ``webhook``).
"""
