"""A function runtime under the local cloud's own Lambda Runtime API (`LocalCloud runtime-api -- COMMAND`):
the emulator starts the bootstrap, logs `INIT_REPORT Init Duration` at its first `/next`, and takes events
on the emulator's invoke route. The benchmarks judge the runtime by the emulator the local cloud runs."""
import json
import os
import subprocess
import tempfile
import threading
import time
import urllib.request

from lib import processes


class Bootstrap:
    def __init__(self, bin_dir, command, environment, function_timeout=900, memory_mb=None):
        """`memory_mb` gives the runtime the CPU Lambda gives that memory size (`--memory-size`); None, whole cores."""
        self.state_file = os.path.join(tempfile.mkdtemp(prefix="bench-runtime-api-"), "state.json")
        self.init_seconds = None
        # Each invocation's `Billed Duration` from the emulator's REPORT line, in milliseconds.
        self.billed_millis = []
        self.initialized = threading.Event()
        self.process = subprocess.Popen(
            [os.path.join(bin_dir, "LocalCloud"), "runtime-api", "--state-file", self.state_file,
             "--function-timeout", str(function_timeout), *(["--memory-size", str(memory_mb)] if memory_mb else []), "--", *command],
            env=environment, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, start_new_session=True)
        threading.Thread(target=self._read, daemon=True).start()
        deadline = time.monotonic() + 30
        while not os.path.exists(self.state_file):
            if self.process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"LocalCloud runtime-api did not start {command[0]}")
            time.sleep(0.001)
        with open(self.state_file) as f:
            state = json.load(f)
        self.pid = state["pid"]
        self.invoke_url = state["invoke"]

    def _read(self):
        # The pipe is drained whatever the runtime logs, so it never blocks on a full pipe.
        for line in self.process.stdout:
            text = line.decode(errors="replace")
            if "INIT_REPORT Init Duration:" in text and self.init_seconds is None:
                self.init_seconds = float(text.split("Init Duration:")[1].split("ms")[0]) / 1000
                self.initialized.set()
            elif "Billed Duration:" in text:
                self.billed_millis.append(int(text.split("Billed Duration:")[1].split("ms")[0]))

    def wait_init(self, timeout=30):
        """exec of the bootstrap to its first GET /next, in seconds, as the emulator measured it."""
        if not self.initialized.wait(timeout):
            raise RuntimeError("the bootstrap never reached its first /next")
        return self.init_seconds

    def invoke(self, event):
        """The function's answer to `event`: (function error or None, body)."""
        request = urllib.request.Request(self.invoke_url, data=json.dumps(event).encode(), method="POST",
                                         headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(request, timeout=3600) as response:
            return response.headers.get("X-Amz-Function-Error"), response.read()

    def stop(self):
        processes.stop(self.process)
