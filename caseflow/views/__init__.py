"""The HTML pages: one file per feature, each a blueprint over the operations the API shares.

Pages sit on top of the features they show (like the API resources in `api/`), so a feature's
records, rules and operations never import a page."""
