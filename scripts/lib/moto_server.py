"""moto server that stops when the process that started it goes away (tests, the local cloud).

Usage: python3 moto_server.py -H 127.0.0.1 -p PORT  (the arguments of `python3 -m moto.server`).
"""
import os
import sys
import threading
import time

parent = os.getppid()


def watch_parent():
    while os.getppid() == parent:
        time.sleep(0.5)
    os._exit(0)


threading.Thread(target=watch_parent, daemon=True).start()

from moto.server import main  # noqa: E402

main(sys.argv[1:])
