"""Measurements that run without a database: ``python -m booking.bench <name>``."""
