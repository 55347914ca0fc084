"""Triage evaluation harness: plays labelled parent messages through the real signed webhooks and scores the answers.

Every folder under tests/evaluation/ holding a messages.yaml is a set (devset, and later sealed). A set is played
against one app and one private Redis; each message is the first message of a fresh conversation from its own
number. `python -m tests.evaluation [--misses] [SET]` prints the report; tests/test_triage_quality.py gates on
tests/evaluation/thresholds.yaml.
"""
