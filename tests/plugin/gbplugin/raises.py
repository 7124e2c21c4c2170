"""A module that fails on import, as a user's module with a bug would."""

raise RuntimeError("the plugin is broken on purpose")
