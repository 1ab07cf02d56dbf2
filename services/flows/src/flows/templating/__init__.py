"""Templating over trigger data, earlier steps' outputs and variables: jinja2's sandbox, with a time and size
limit per evaluation (see expressions.py)."""
