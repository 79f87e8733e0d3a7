"""reintegration stage."""
