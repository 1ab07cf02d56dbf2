"""Projection mechanism: pure `apply(doc, event) -> doc` functions folded into MongoDB read models."""
