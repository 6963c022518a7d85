"""The command line: ``concurrency-compare COMMAND`` and ``python -m <model>_impl``.

``main`` holds the parser and a table of commands; a command's module is
imported when that command runs, so ``list`` does not pay for matplotlib.
"""
