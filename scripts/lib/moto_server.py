"""moto server that stops when the process that started it goes away (tests, the local cloud).

Usage: python3 moto_server.py -H 127.0.0.1 -p PORT  (the arguments of `python3 -m moto.server`).
"""
import os
import signal
import sys
import threading
import time

parent = os.getppid()
# A Swift parent may spawn us from a thread that blocks SIGTERM and SIGINT; the mask is inherited,
# and a server that cannot be told to stop outlives the tests or the local cloud that started it.
signal.pthread_sigmask(signal.SIG_UNBLOCK, [signal.SIGTERM, signal.SIGINT])


def watch_parent():
    while os.getppid() == parent:
        time.sleep(0.5)
    os._exit(0)


threading.Thread(target=watch_parent, daemon=True).start()

import moto.s3.responses  # noqa: E402
from moto.server import main  # noqa: E402

# moto checks If-Match / If-None-Match and then writes, with no lock between, while its server
# answers on many threads: two racing conditional PUTs could both win. S3 makes that one atomic
# step, and the status merge and the launch claim rely on it, so PUTs take turns here.
_put_lock = threading.Lock()
_put_object = moto.s3.responses.S3Response.put_object


def _atomic_put_object(self):
    with _put_lock:
        return _put_object(self)


moto.s3.responses.S3Response.put_object = _atomic_put_object

main(sys.argv[1:])
