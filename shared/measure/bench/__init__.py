"""``concurrency-compare bench``: what each model costs, measured the same way for each.

The workloads themselves are model code, written once per model and mirrored:
``asyncio_impl/workloads.py``, ``gevent_impl/workloads.py``, ``threads_impl/workloads.py``.
This package hosts and measures them, a module for each step (like pyperf's
runner, worker, metadata and formatting):

* ``plan``: what a bench runs: the workloads (what each measures), the sizes,
  the models, the jobs;
* ``child`` and ``micro``: one workload inside a model's own interpreter,
  ``python -m <model>_impl bench WORKLOAD ...``; the micro-workloads (spawn,
  switch) go through pyperf's manager (``micro``), in a plain interpreter;
* ``records``: what a workload reports back, and the memory it reads;
* ``probes``: what the bench reads from the system around each job (CPU of a
  process and of the machine, the machine's limits);
* ``measure``: runs every job, one at a time, each a fresh interpreter, and
  reads its figures;
* ``figures``: the measurements grouped and summarised, and the document they
  make (``BenchDocument``, the typed JSON of ``bench --json``);
* ``crosscheck`` and ``standalone/``: the bench's figures against minimal
  scripts with no project code.

From that document alone, ``shared.present.bench`` and ``shared.present.charts``
make the tables (terminal, README, report) and the charts; ``shared.cli.bench``
is the command, with its progress bar.

Only ``records`` and ``child`` are imported by a model's interpreter, so they
stay light: no rich, no matplotlib, nothing that would patch or be patched late.
"""
