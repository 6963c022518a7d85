"""The experiments and the figures they write.

One folder an experiment (``bench``, ``load``, ``hurts``), each writing a typed
figures document with a format version (``shared.documents``); ``deploy``
runs a model's service under gunicorn, ``cpu`` spends a set time on the CPU.
Nothing here draws: ``shared.present`` does, from the documents.
"""
