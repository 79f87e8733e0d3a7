"""Dashboards and period statistics."""
