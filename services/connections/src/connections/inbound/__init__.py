"""Deliveries providers send to Junction: their signatures verified (signatures.py), their id and event type read
(delivery.py)."""
