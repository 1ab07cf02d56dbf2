"""Persistence mechanisms on MongoDB: the event store and command outcomes."""
