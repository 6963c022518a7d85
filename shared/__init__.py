"""concurrency-compare: the same I/O scenarios in asyncio, gevent and threads.

The package is in layers, lowest first; a module imports only from its own
layer or a lower one (``tests/test_layers.py`` checks it):

1. ``errors``, ``args``, ``tables``, ``documents``: exit statuses, argument
   types, tables of figures, typed figures files; nothing of the project.
2. ``contract``: what a model is given and what it reports (specs, outcomes,
   expectations, the protocols an impl package provides, the transcript).
3. ``scenarios``: the catalogue, one module a scenario, its idea explained once.
4. ``harness``: runs a model in an interpreter of its own, with the local
   services or a PostgreSQL it needs, and collects what it reported.
5. ``measure``: the experiments (``bench``, ``load``, ``hurts``) and the
   figures documents they write.
6. ``present``: from scenarios and figures documents to terminal, Markdown and
   HTML, never measuring again.
7. ``cli``: the ``concurrency-compare`` commands and ``python -m <model>_impl``.
"""
