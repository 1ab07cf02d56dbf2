"""The connections service's contract: its topics, commands, the provider catalogue's public shapes and the
operations it serves.

Imported by the gateway (to route and validate) and by the connections service; by nothing else.
"""
