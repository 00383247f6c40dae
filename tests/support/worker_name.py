"""``[core] hostname_callable`` for the test stack's Celery workers.

Two workers on one machine share its hostname; each gets its own name from
``NEWSFLOW_TEST_WORKER`` so a task instance's ``hostname`` says which worker ran it, as it
would on separate machines.
"""

import os
import socket


def hostname() -> str:
    return os.environ.get("NEWSFLOW_TEST_WORKER") or socket.getfqdn()
