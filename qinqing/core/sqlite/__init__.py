"""The embedded database: Django's SQLite backend with writers queued in-process (see `base`)."""
