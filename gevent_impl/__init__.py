"""The scenarios in gevent: greenlets and monkey-patched requests.

Run one with ``python -m gevent_impl SCENARIO``. Every module renders the
scenario of the same name in ``shared.scenarios``, where its idea is explained.
"""

# Patch first, before anything imports socket, ssl, threading or time: gevent
# only cooperates through the modules it has replaced, and patching after them
# leaves blocking originals behind. Importing any module of this package patches
# the whole process, which is why each model runs in an interpreter of its own.
from gevent import monkey

monkey.patch_all()
