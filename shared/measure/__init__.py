"""The experiments and the figures they write.

One folder an experiment (``bench``, ``load``, ``hurts``), each writing a typed
figures document with a format version; ``deploy`` runs a model's service under
gunicorn, ``cpu`` spends a set time on the CPU, ``documents`` reads and writes
the files. Nothing here draws: ``shared.present`` does, from the documents.
"""
