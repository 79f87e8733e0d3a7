"""Backups that prove themselves: a consistent copy of the database (its stored files inside it),
with a manifest signed by the audit key that names the log's latest signed head and every file's
SHA-256; ``verify`` restores it into a scratch database and runs ``audit verify`` there."""
