"""Append-only, hash-chained audit log. Generic: it knows chains and events, not cases."""
