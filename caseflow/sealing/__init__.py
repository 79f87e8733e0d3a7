"""Sealing what is written about a child: the master keyring, one data key per case, the sealed
identity and its blind index, and the sealed-text column type every table uses. Below the cases and
stages that seal with it; the data-protection work (retention, erasure, rotation) is in protection/."""
