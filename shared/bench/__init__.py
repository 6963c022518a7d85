"""``concurrency-compare bench``: what each model costs, measured the same way for each.

The workloads themselves are model code, written once per model and mirrored:
``asyncio_impl/workloads.py``, ``gevent_impl/workloads.py``, ``threads_impl/workloads.py``.
This package hosts and measures them:

* ``records``: what a workload reports back (the types the model code returns),
  and the probes it uses (memory in use, errors tallied by kind);
* ``child``: runs one workload inside a model's own interpreter,
  ``python -m <model>_impl bench WORKLOAD ...``; the micro-workloads (spawn,
  switch) go through pyperf there;
* ``suite``: the plan (sizes, repetitions), the jobs, the local services, the
  statistics: every job in a fresh interpreter, one after the other;
* ``output``: the terminal tables, the JSON, the PNG charts.

Only ``records`` and ``child`` are imported by a model's interpreter, so they
stay light: no rich, no matplotlib, nothing that would patch or be patched late.
"""
