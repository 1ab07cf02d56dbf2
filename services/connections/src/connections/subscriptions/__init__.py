"""Provider webhook subscriptions: made, listed and removed (service.py), registered at the provider through the
proxy where the manifest says how (registration.py), and the secret each delivery is verified with (secrets.py)."""
