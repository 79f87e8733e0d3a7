"""The application's version, as written in exports and shown to operators."""

VERSION = "0.1.0"
