"""Faithful local doubles of the providers the product talks to (docs/carriers.md)."""
