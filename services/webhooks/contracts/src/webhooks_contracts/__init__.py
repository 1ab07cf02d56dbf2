"""The webhooks service's contract: its topics, commands, collections, statuses and the event catalogue.

Imported by the gateway (to route and validate) and by the webhooks service; by nothing else.
"""
