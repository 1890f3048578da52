"""The local cloud (release build) for the benchmarks: moto and the Fargate stand-in, tasks that run
/bin/true and no task events, so what is measured is launching alone."""
import json
import os
import subprocess
import tempfile
import time

from . import processes

REGION = {"AWS_REGION": "us-east-1", "AWS_DEFAULT_REGION": "us-east-1"}


class LocalCloud:
    def __init__(self, binaries, *arguments):
        self.state_file = tempfile.mktemp(suffix=".json")
        environment = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
        environment["LOG_LEVEL"] = "warning"
        self.process = processes.spawn(
            [os.path.join(binaries, "LocalCloud"), "--state-file", self.state_file, *arguments], environment)
        deadline = time.time() + 90
        while not os.path.exists(self.state_file):
            if time.time() > deadline or self.process.poll() is not None:
                raise RuntimeError("LocalCloud did not come up")
            time.sleep(0.1)
        self.state = json.load(open(self.state_file))
        # The state file is written as the servers start; wait until the Fargate stand-in answers.
        while True:
            try:
                self.stats()
                break
            except OSError:
                if time.time() > deadline:
                    raise RuntimeError("the local Fargate did not answer")
                time.sleep(0.1)

    @property
    def authorization(self):
        """The header the local web requires (its token, made by the local cloud and kept in the state file)."""
        return {"Authorization": "Bearer " + self.state["apiToken"]} if "apiToken" in self.state else {}

    @property
    def credentials(self):
        """The temporary credentials the local cloud minted for tools (its moto checks every signature)."""
        keys = self.state["credentials"]
        return {"AWS_ACCESS_KEY_ID": keys["accessKeyId"], "AWS_SECRET_ACCESS_KEY": keys["secretAccessKey"],
                "AWS_SESSION_TOKEN": keys["sessionToken"], **REGION}

    def boto3_keys(self):
        keys = self.state["credentials"]
        return {"aws_access_key_id": keys["accessKeyId"], "aws_secret_access_key": keys["secretAccessKey"],
                "aws_session_token": keys["sessionToken"]}

    def environment(self, **extra):
        """What a function needs to reach this cloud's S3, SQS and ECS."""
        return {"PATH": "/usr/bin:/bin", "HOME": os.environ.get("HOME", "/tmp"), **self.credentials,
                "AWS_ENDPOINT_URL": self.state["endpoint"], "AWS_ENDPOINT_URL_ECS": self.state["ecs"],
                "WISHES_QUEUE_URL": self.state["queueURL"], "WISHES_CLUSTER": "wishes",
                "WISHES_TASK_DEFINITION": "count-to-three", **extra}

    def wait_for_web(self, base):
        """Waits until the web front at `base` answers its health check."""
        import urllib.request
        for _ in range(300):
            try:
                urllib.request.urlopen(base + "/healthz", timeout=1)
                return
            except OSError:
                time.sleep(0.1)
        raise RuntimeError(f"the web front at {base} did not come up")

    def stats(self):
        import urllib.request
        return json.loads(urllib.request.urlopen(self.state["ecs"] + "/_local/stats").read())

    def stop(self):
        # SIGTERM lets the local cloud stop its own children (moto, Web, the functions); then make sure.
        self.process.terminate()
        try:
            self.process.wait(timeout=15)
        except Exception:
            pass
        processes.stop(self.process)
        if os.path.exists(self.state_file):
            os.remove(self.state_file)
