"""What hurts a service: three experiments on the deployments of "As a service".

The averages of a healthy service hide what decides an evaluation: how each
model degrades. Each experiment runs every model's deployment (``shared.measure.deploy``,
one gunicorn worker, its tuned configuration unless said otherwise) against the
local services as its upstream (D = 50 ms), under the open-loop generator of
``shared.measure.load``, at fixed, moderate offered rates:

* **CPU in the handler** (``cpu``): C = 0, 1, 5, 20 ms of pure-Python CPU per
  request at one rate that every C can carry, then rising rates until the p99
  passes 1 s, with one worker and with two. In an event loop (asyncio, gevent)
  a request's CPU delays every request behind it on the loop; threads take
  turns on the GIL, every 5 ms (``sys.getswitchinterval()``).
* **A blocking call** (``blocking``): every Nth request makes a call its model
  does not cooperate with (``time.sleep`` in a coroutine; gevent's original
  ``time.sleep``, which its patching does not see; the same call in a thread).
  Each model's tail, which built-in detector reports it (asyncio's debug mode,
  gevent's monitor thread), in the detector's own words, then the fix and its
  tail.
* **Idle connections** (``idle``): 1,000, 5,000 and 10,000 keep-alive
  connections held open by ``shared.measure.hurts.holder`` (a process of its own), then
  a few live requests per second: the worker's resident memory per idle
  connection, whether it still answers, and the live requests' latency; in the
  defaults (gunicorn's 2 s keep-alive and 1,000 worker connections, the 1,024
  open files most systems give a service) and with those limits raised on
  purpose.

Every figure comes with the CPU of every process that took part (generator,
upstream, service worker, holder): on two cores, that shows the bottleneck. The
workers run on CPUs of their own, the rest on the others (``--cores``, as in
``load``), and what else ran on the workers' CPUs is measured too. A service of
another shape (``--delay D``, ``--cpu C``) gets a plan of its own
(``experiments.profile``): C only in the CPU experiment, on a ladder around what
one core allows at C; the other two experiments' requests spend C too.
``shared.measure.hurts.experiments`` runs them into a ``HurtsDocument``
(``shared.measure.hurts.document``), ``shared.present.hurts`` draws it,
``concurrency-compare hurts`` (``shared.cli.hurts``) is the command.
"""
