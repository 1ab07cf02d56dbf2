"""Test mechanisms shared by every service's tests: real infrastructure, isolated names."""
