"""Helpers that several test modules share, one module per concept (test modules never import
one another)."""
