"""The provider catalogue: one manifest per provider (manifest.py), loaded once at start (loader.py), looked up and
searched (index.py); what every reference derives from a manifest the same way is in facts.py."""
