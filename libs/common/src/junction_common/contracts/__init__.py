"""Contracts shared by the gateway and the services: resource declarations and their API shapes."""
