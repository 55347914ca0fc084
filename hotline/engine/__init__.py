"""The triage engine: pure decisions, no I/O.

Nothing in this package imports flask, redis, rq or twilio. The engine is handed a flow,
a conversation state and a message, and returns what should happen; callers make it happen.
"""

from hotline.engine.native import compiled_path

# The reading modules compiled from exactly this source, when built (see native.py): found before the Python.
if (_compiled := compiled_path()) is not None:
    __path__.insert(0, _compiled)
