"""The crm service's contract: its resource declarations (routes, scopes, models, commands, events) and BI shapes.

Imported by the gateway (to route and validate) and by the crm service; by nothing else.
"""
