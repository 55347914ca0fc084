"""Staff-facing parts: the JSON API (and later the dashboard)."""
