"""Data protection: the master key and what it seals (second-factor secrets, per-case data keys)."""
