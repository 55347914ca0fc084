"""The triage engine: pure decisions, no I/O.

Nothing in this package imports flask, redis, rq or twilio. The engine is handed a flow,
a conversation state and a message, and returns what should happen; callers make it happen.
"""
