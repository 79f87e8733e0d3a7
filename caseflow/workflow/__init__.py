"""The workflow engine. Generic: it loads workflows/*.yaml, keeps registries of guards, effects,
payload schemas and clock anchors by name, and fires triggers on any subject that follows the
small protocol in ``engine.Subject``. It imports nothing from the case or stage packages."""
