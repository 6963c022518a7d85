"""The README and docs/ written from the catalogue and the committed figures files.

Each Markdown file keeps its generated blocks between ``<!-- generated: NAME -->``
and ``<!-- end: NAME -->``; everything between is written by code and nothing
else in the file carries a figure. ``generate`` holds the table of files and
their blocks and rewrites them (``python -m shared.present.docs``; ``--check``
only says which are out of date, as ``tests/present/test_docs.py`` does);
``sources`` reads the committed figures files and cites them. One module per
file holds that file's blocks: ``readme`` (with ``verdict``), ``catalogue``
(the scenarios and their differences), ``evaluation``, ``pythons``,
``architecture``.
"""
