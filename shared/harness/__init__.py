"""Runs a model: its interpreter, the local services and PostgreSQL, the runner.

A scenario runs in a fresh interpreter of its model (``host``, forked from a
warm ``forkserver``), next to the services (``services``, ``server``) or the
database (``postgres``) it needs; ``runner`` checks the outcome against the
scenario's expectation. Every child process goes through ``processes``.
"""
