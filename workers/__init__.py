"""RQ jobs: they take plain values (ids, never phone numbers or message text) and are safe to run twice."""
