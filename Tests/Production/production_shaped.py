#!/usr/bin/env python3
"""Production-shaped test: the static release binaries against AWS's own host names, over TLS, with
credentials as Lambda and ECS hand them out, and no endpoint override anywhere.

    python3 Tests/Production/production_shaped.py --bin .build/release [--lambda-zip .build/lambda/make-a-wish.zip]

Run as root: the script re-executes itself in a private network and mount namespace (`unshare -mn`).
There, loopback alone is up, 169.254.170.2 is on it (the ECS agent's address), and /etc is a prepared
directory with only hosts (AWS's regional names -> 127.0.0.1), nsswitch.conf, passwd/group without the
binaries' user, and Amazon Linux 2023's CA bundle path (/etc/pki/tls/certs/ca-bundle.crt) holding the
test CA. See README.md in this folder for what it proves and what only a real account can.
"""
import argparse
import base64
import datetime
import json
import os
import secrets
import shutil
import shlex
import signal
import subprocess
import sys
import tempfile
import threading
import time
import traceback
import urllib.error
import urllib.parse
import urllib.request
import uuid
import zipfile

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, HERE)

REGION = "us-east-1"
UID = 4242  # not in the namespace's /etc/passwd
MARKER = "WISHES_PRODUCTION_SHAPED_NAMESPACE"
LAMBDA_PORTS = (9001, 9002)  # each sandbox has its own 127.0.0.1:9001 in Lambda; two share this loopback
WEB_PORT = 8080
CA_BUNDLE = "/etc/pki/tls/certs/ca-bundle.crt"
SECRET_VALUE = "s3cr3t-" + secrets.token_hex(8)
# A wish's job role (the template's JobRoleArns): it trusts the task role and may only say who it is.
JOB_ROLE_NAME = "wishes-production-job"
JOB_ROLE_POLICY = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": ["sts:GetCallerIdentity", "s3:ListAllMyBuckets"],
                                                           "Resource": "*"}]}
# What a wish's command tries as an attacker would (stdlib only: the namespace's /usr/bin/python3 has no boto3).
PROBE = os.path.join(HERE, "probe.py")


def utc(seconds=None):
    moment = datetime.datetime.fromtimestamp(seconds if seconds is not None else time.time(), datetime.timezone.utc)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def utc_seconds(seconds=None):
    moment = datetime.datetime.fromtimestamp(seconds if seconds is not None else time.time(), datetime.timezone.utc)
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def wait_for(what, predicate, timeout, interval=0.1):
    """Polls `predicate` until it returns something truthy; raises TimeoutError naming `what`."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() >= deadline:
            raise TimeoutError(f"{what}: not within {timeout} s")
        time.sleep(interval)


def sh(*argv):
    subprocess.run(argv, check=True, stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=30)


# --- the report ----------------------------------------------------------------------------------


class Report:
    def __init__(self):
        self.lock = threading.Lock()
        self.checks = []
        self.started = time.monotonic()

    def check(self, name, ok, detail=None, binaries=()):
        entry = {"check": name, "ok": bool(ok), "t": round(time.monotonic() - self.started, 2)}
        if detail is not None:
            entry["detail"] = detail
        with self.lock:
            self.checks.append((entry, tuple(binaries)))
        try:
            print(json.dumps(entry, default=str), flush=True)
        except OSError:
            pass  # stdout gone (a closed pipe): the run still ends and cleans up
        return bool(ok)

    def failed(self):
        with self.lock:
            return [(entry, binaries) for entry, binaries in self.checks if not entry["ok"]]


# --- processes -----------------------------------------------------------------------------------


class Binary:
    """One of the project's binaries, as the unprivileged user, with its own environment only."""

    def __init__(self, name, argv, env, cwd, logs, prefix=()):
        self.name = name
        self.out_path = os.path.join(logs, f"{name}.stdout")
        self.err_path = os.path.join(logs, f"{name}.stderr")
        self.env = env
        self.executable = argv[0]
        with open(self.out_path, "wb") as out, open(self.err_path, "wb") as err:
            # setpriv: another uid and gid, no supplementary groups, killed with the thread that started it.
            self.process = subprocess.Popen(
                [*prefix, "/usr/bin/setpriv", f"--reuid={UID}", f"--regid={UID}", "--clear-groups", "--pdeathsig=KILL", "--", *argv],
                env=env, cwd=cwd, stdin=subprocess.DEVNULL, stdout=out, stderr=err)

    def ids(self):
        """(uid, gid, groups) of the binary itself, once setpriv has become it."""
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline:
            try:
                if os.readlink(f"/proc/{self.process.pid}/exe") == self.executable:
                    break
            except OSError:
                return None
            time.sleep(0.01)
        try:
            with open(f"/proc/{self.process.pid}/status") as status:
                fields = dict(line.split(":", 1) for line in status if ":" in line)
            return fields["Uid"].split()[0], fields["Gid"].split()[0], fields["Groups"].strip()
        except OSError:
            return None

    def stop(self, grace=5.0):
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(grace)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(5)
        return self.process.returncode

    def lines(self):
        with open(self.out_path, "rb") as out:
            return out.read().decode("utf-8", "replace").splitlines()

    def stderr(self):
        with open(self.err_path, "rb") as err:
            return err.read().decode("utf-8", "replace")


# --- the namespace ---------------------------------------------------------------------------------


def enter_namespace(argv):
    if os.geteuid() != 0:
        sys.exit("production_shaped.py needs root: it makes a network and mount namespace (unshare -mn)")
    if subprocess.run(["unshare", "-mn", "true"], stderr=subprocess.PIPE).returncode != 0:
        sys.exit("unshare -mn does not work here (no CAP_SYS_ADMIN?)")
    env = dict(os.environ, **{MARKER: "1"})
    os.execvpe("unshare", ["unshare", "--mount", "--net", "--propagation", "private", "--",
                           sys.executable, os.path.abspath(__file__), *argv], env)


def prepare_root(root, hosts, ca_pem, binaries_dir, bootstrap):
    """/etc, /opt/wishes and /var/task as the binaries see them; nothing is written outside `root`."""
    etc = os.path.join(root, "etc")
    os.makedirs(os.path.join(etc, "pki/tls/certs"))
    with open(os.path.join(etc, "hosts"), "w") as f:
        f.write("127.0.0.1\tlocalhost\n" + "".join(f"127.0.0.1\t{name}\n" for name in hosts))
    with open(os.path.join(etc, "nsswitch.conf"), "w") as f:
        f.write("passwd: files\ngroup: files\nhosts: files dns\n")
    with open(os.path.join(etc, "passwd"), "w") as f:
        f.write("root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/:/sbin/nologin\n")
    with open(os.path.join(etc, "group"), "w") as f:
        f.write("root:x:0:\nnobody:x:65534:\n")
    # Amazon Linux 2023's bundle is the whole Mozilla set; this one is the host's roots plus the test CA.
    system_roots = b""
    for candidate in ("/etc/ssl/certs/ca-certificates.crt", "/etc/pki/tls/certs/ca-bundle.crt"):
        if os.path.exists(candidate):
            system_roots = open(candidate, "rb").read()
            break
    with open(os.path.join(etc, CA_BUNDLE.lstrip("/").split("/", 1)[1]), "wb") as f:
        f.write(system_roots + b"\n" + open(ca_pem, "rb").read())
    # The negative control's bundle: the same roots without the test CA.
    with open(os.path.join(root, "ca-bundle-without-test-ca.crt"), "wb") as f:
        f.write(system_roots)
    for dirpath, dirnames, filenames in os.walk(root):
        os.chmod(dirpath, 0o755)
        for name in filenames:
            os.chmod(os.path.join(dirpath, name), 0o644)
    os.chmod(root, 0o755)

    sh("mount", "--bind", etc, "/etc")
    sh("mount", "-o", "remount,bind,ro", "/etc")
    # The image's layout: /opt/wishes/{CountToThree,Web,MakeAWish}; Lambda's: /var/task/bootstrap.
    # tmpfs over /opt and /var in this namespace only, the binaries bound in read-only (no copies).
    for mount_point, files in (("/opt", {"wishes/CountToThree": f"{binaries_dir}/CountToThree", "wishes/Web": f"{binaries_dir}/Web",
                                         "wishes/MakeAWish": f"{binaries_dir}/MakeAWish"}),
                               ("/var", {"task/bootstrap": bootstrap})):
        sh("mount", "-t", "tmpfs", "-o", "mode=0755,size=16m", "tmpfs", mount_point)
        os.makedirs(os.path.join(mount_point, "runtime" if mount_point == "/var" else "wishes"), exist_ok=True)
        for relative, source in files.items():
            target = os.path.join(mount_point, relative)
            os.makedirs(os.path.dirname(target), exist_ok=True)
            open(target, "w").close()
            sh("mount", "--bind", source, target)
            sh("mount", "-o", "remount,bind,ro", target)
        sh("mount", "-o", "remount,ro", mount_point)


# --- the harness ---------------------------------------------------------------------------------


class Harness:
    def __init__(self, args):
        self.args = args
        self.report = Report()
        self.binaries = {}
        self.moto = None
        self.root = tempfile.mkdtemp(prefix="wishes-production-")
        self.logs = os.path.join(self.root, "logs")
        os.makedirs(self.logs)
        os.chmod(self.logs, 0o777)
        self.deliveries = []
        self.deliveries_lock = threading.Lock()
        self.task_runs = {}
        self.task_runs_lock = threading.Lock()
        self.errors = []

    # --- set-up ---------------------------------------------------------------------------------
    def start(self):
        import template
        sh("ip", "link", "set", "lo", "up")
        sh("ip", "addr", "add", "169.254.170.2/32", "dev", "lo")
        creds_file = os.path.join(self.root, "moto-credentials.json")
        self.moto_log = open(os.path.join(self.logs, "moto.log"), "wb")
        # moto is the referee for SQS, S3 and STS: it checks each signature and each role's policies.
        self.moto = subprocess.Popen([sys.executable, os.path.join(REPO, "scripts/lib/moto_server.py"), "-H", "127.0.0.1", "-p", "0",
                                      "--credentials-file", creds_file],
                                     stdout=self.moto_log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)

        def credentials():
            if self.moto.poll() is not None:
                raise RuntimeError(f"moto exited with {self.moto.returncode}")
            return os.path.exists(creds_file) and open(creds_file).read()
        self.admin = json.loads(wait_for("moto's credentials file", credentials, timeout=60))
        self.moto_endpoint = self.admin["endpoint"]
        self.account = self.admin["roleArn"].split(":")[4]
        self.job_role_arn = f"arn:aws:iam::{self.account}:role/{JOB_ROLE_NAME}"
        # The certificate needs the bucket's name, which the template makes of the account and region.
        self.template = template.Template(os.path.join(REPO, "deploy/wishes.yaml"), account=self.account, region=REGION,
                                          parameters={"Subnets": ["subnet-0a1b2c3d4e5f60718", "subnet-0f1e2d3c4b5a69788"],
                                                      "VpcId": "vpc-0123456789abcdef0", "LogLevel": "info",
                                                      "JobRoleArns": [self.job_role_arn]},
                                          physical={"TaskSecurityGroup.GroupId": "sg-0123456789abcdef0",
                                                    # What CloudFormation would name: the web's allowed hosts and the secrets' key.
                                                    "LoadBalancer.DNSName": f"wishes-lb-1234567890.{REGION}.elb.amazonaws.com",
                                                    "Distribution.DomainName": "d1234abcdefgh.cloudfront.net",
                                                    "SecretsKey.Arn": f"arn:aws:kms:{REGION}:{self.account}:key/0d7c5f3e-1111-4222-8333-944455556666"})
        self.bucket = self.template.bucket_name("ResultsBucket")
        self.hosts = [f"sqs.{REGION}.amazonaws.com", f"s3.{REGION}.amazonaws.com", f"{self.bucket}.s3.{REGION}.amazonaws.com",
                      f"ecs.{REGION}.amazonaws.com", f"sts.{REGION}.amazonaws.com"]

        import pki
        pki_dir = os.path.join(self.root, "pki")
        os.makedirs(pki_dir)
        self.pki = pki.make(self.hosts, pki_dir)
        prepare_root(os.path.join(self.root, "fs"), self.hosts, self.pki["ca"], os.path.abspath(self.args.bin), self.bootstrap_file())
        # The task volumes' mount points (/wishes-bin): each task mounts its own tmpfs there in a namespace of
        # its own. The one thing written outside the test's folder, an empty directory, removed at the end.
        self.made_mount_points = []
        for container in self.template.props("TaskDefinition")["ContainerDefinitions"]:
            for mount in container.get("MountPoints", []):
                if not os.path.isdir(mount["ContainerPath"]):
                    os.makedirs(mount["ContainerPath"], mode=0o755)
                    self.made_mount_points.append(mount["ContainerPath"])
        self.report.check("namespace: loopback only, 169.254.170.2 on lo, /etc replaced (no /etc/ssl)", self.namespace_facts())

        import container_agent
        import ecs_endpoint
        import sigv4
        import tls_front
        self.principals = sigv4.Principals()
        definition = self.template.props("TaskDefinition")
        essential = self.template.main_container("TaskDefinition")
        self.task_definition = ecs_endpoint.TaskDefinition(
            account=self.account, region=REGION, family=definition["Family"], revision=1,
            # The essential container first: RunTask's overrides and the task's state name it.
            containers=[essential["Name"]] + [c["Name"] for c in definition["ContainerDefinitions"] if c is not essential],
            task_role_arn=self.template.resolve(definition["TaskRoleArn"]),
            execution_role_arn=self.template.resolve(definition["ExecutionRoleArn"]),
            cpu=str(definition["Cpu"]), memory=str(definition["Memory"]), network_mode=definition["NetworkMode"])
        cluster = self.template.props("Cluster")
        self.ecs = ecs_endpoint.ECSService(principals=self.principals, account=self.account, region=REGION,
                                           clusters={cluster["ClusterName"]: cluster["CapacityProviders"]},
                                           task_definitions=[self.task_definition], on_run=self.on_run_task, on_stop=self.on_stop_task)
        upstream = urllib.parse.urlsplit(self.moto_endpoint)
        routes = {name: (upstream.hostname, upstream.port) for name in self.hosts}
        routes[f"ecs.{REGION}.amazonaws.com"] = self.ecs.handle
        self.front = tls_front.start(cert=self.pki["cert"], key=self.pki["key"], routes=routes)
        self.agent = container_agent.start()
        self.set_up_aws()

    def bootstrap_file(self):
        """The function's `bootstrap` as Lambda unpacks it from the zip, or the MakeAWish binary."""
        if not self.args.lambda_zip:
            return os.path.abspath(os.path.join(self.args.bin, "MakeAWish"))
        with zipfile.ZipFile(self.args.lambda_zip) as archive:
            info = archive.getinfo("bootstrap")
            mode = (info.external_attr >> 16) & 0o777
            self.report.check("lambda zip: bootstrap at its root, executable (mode from the zip)", mode & 0o111 == 0o111,
                              {"mode": oct(mode), "bytes": info.file_size})
            target = os.path.join(self.root, "bootstrap")
            with archive.open(info) as source, open(target, "wb") as out:
                shutil.copyfileobj(source, out)
            os.chmod(target, mode or 0o755)
            return target

    def namespace_facts(self):
        links = subprocess.run(["ip", "-o", "link"], capture_output=True, text=True).stdout
        addresses = subprocess.run(["ip", "-o", "addr", "show", "dev", "lo"], capture_output=True, text=True).stdout
        return ([line.split(":")[1].strip() for line in links.splitlines()] == ["lo"] and "169.254.170.2/32" in addresses
                and not os.path.exists("/etc/ssl") and os.path.exists(CA_BUNDLE) and sorted(os.listdir("/etc")) == ["group", "hosts", "nsswitch.conf", "passwd", "pki"])

    def boto(self, service, credentials, endpoint=None):
        import boto3
        import botocore.config
        session = boto3.session.Session(aws_access_key_id=credentials["AccessKeyId"], aws_secret_access_key=credentials["SecretAccessKey"],
                                        aws_session_token=credentials.get("SessionToken"), region_name=REGION)
        config = botocore.config.Config(retries={"total_max_attempts": 2, "mode": "standard"}, connect_timeout=5, read_timeout=30)
        return session.client(service, endpoint_url=endpoint or f"https://{service}.{REGION}.amazonaws.com", verify=self.pki["ca"], config=config)

    def set_up_aws(self):
        """The stack's resources, and its roles with the template's policies; credentials from STS AssumeRole."""
        t = self.template
        admin = {"AccessKeyId": self.admin["accessKeyId"], "SecretAccessKey": self.admin["secretAccessKey"]}
        iam = self.boto("iam", admin, endpoint=self.moto_endpoint)
        s3 = self.boto("s3", admin, endpoint=self.moto_endpoint)
        sqs = self.boto("sqs", admin)  # through the front, by its real name
        self.sts = self.boto("sts", admin)
        admin_arn = self.sts.get_caller_identity()["Arn"]
        s3.create_bucket(Bucket=self.bucket)
        s3.put_public_access_block(Bucket=self.bucket, PublicAccessBlockConfiguration=t.props("ResultsBucket")["PublicAccessBlockConfiguration"])
        self.queue_urls = {}
        for logical in ("WishesDeadLetterQueue", "AsapDeadLetterQueue", "WishesQueue", "AsapQueue"):
            props = t.resolve(t.props(logical))
            attributes = {name: (json.dumps(value) if isinstance(value, dict) else str(value).lower() if isinstance(value, bool) else str(value))
                          for name, value in props.items() if name != "QueueName"}
            url = sqs.create_queue(QueueName=props["QueueName"], Attributes=attributes)["QueueUrl"]
            self.queue_urls[logical] = url
        # moto answers http:// (it sits behind the TLS front); host and path are what SQS answers.
        self.report.check("SQS queue URLs are the ones the template gives the binaries",
                          self.queue_urls["WishesQueue"].split("://")[1] == t.queue_url("WishesQueue").split("://")[1], self.queue_urls)
        # The roles: the template's inline policies; trust is the admin (the harness plays Lambda and ECS,
        # which assume them as lambda.amazonaws.com / ecs-tasks.amazonaws.com in AWS).
        trust = json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole", "Principal": {"AWS": admin_arn}}]})
        self.roles = {}
        for logical in ("FunctionRole", "TaskRole", "TaskExecutionRole", "WebTaskRole", "WebExecutionRole"):
            name = t.role_name(logical)
            arn = iam.create_role(RoleName=name, AssumeRolePolicyDocument=trust)["Role"]["Arn"]
            policies = t.role_policies(logical)
            for policy_name, document in policies.items():
                iam.put_role_policy(RoleName=name, PolicyName=policy_name, PolicyDocument=json.dumps(document))
            self.roles[logical] = {"name": name, "arn": arn, "policies": list(policies.values())}
        self.report.check("IAM roles made with the template's policies", all(r["arn"] == t.get_att(l, "Arn") for l, r in self.roles.items()),
                          {l: r["arn"] for l, r in self.roles.items()})
        # The job role, as the README tells a deployer to make it: trusting the stack's task role alone.
        job_trust = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole",
                                                             "Principal": {"AWS": self.roles["TaskRole"]["arn"]}}]}
        made = iam.create_role(RoleName=JOB_ROLE_NAME, AssumeRolePolicyDocument=json.dumps(job_trust))["Role"]["Arn"]
        iam.put_role_policy(RoleName=JOB_ROLE_NAME, PolicyName="identity-only", PolicyDocument=json.dumps(JOB_ROLE_POLICY))
        assumable = [(statement.get("Action"), statement.get("Resource")) for policies in (r["policies"] for r in self.roles.values())
                     for policy in policies for statement in policy["Statement"] if "sts:" in json.dumps(statement.get("Action"))]
        self.report.check("the template lets the task role assume the stack's job role and no role anything else",
                          made == self.job_role_arn and assumable == [("sts:AssumeRole", [self.job_role_arn])], assumable)
        self.report.check("Web and the function are told the job role (WISHES_JOB_ROLE_ARNS)",
                          t.container_environment("WebTaskDefinition").get("WISHES_JOB_ROLE_ARNS") == self.job_role_arn
                          and t.function_environment("Function").get("WISHES_JOB_ROLE_ARNS") == self.job_role_arn)

    def assume(self, logical, session_name):
        """Temporary credentials of a role, through the strict moto, known to the ECS endpoint too."""
        import sigv4
        role = self.roles[logical]
        credentials = self.sts.assume_role(RoleArn=role["arn"], RoleSessionName=session_name, DurationSeconds=3600)["Credentials"]
        self.principals.add(sigv4.Principal(access_key=credentials["AccessKeyId"], secret_key=credentials["SecretAccessKey"],
                                            token=credentials["SessionToken"], expiration=credentials["Expiration"], role_name=role["name"],
                                            role_arn=role["arn"], session_name=session_name, policies=role["policies"]))
        return credentials

    def agent_credentials(self, logical, credentials):
        role_arn = self.roles[logical]["arn"]
        return lambda: {"RoleArn": role_arn, "AccessKeyId": credentials["AccessKeyId"], "SecretAccessKey": credentials["SecretAccessKey"],
                        "Token": credentials["SessionToken"], "Expiration": utc_seconds(credentials["Expiration"].timestamp())}

    def ecs_task_environment(self, task_id, family, revision, logical_role, credentials, container_name):
        """What Fargate adds to a container's environment, and the agent's endpoints behind it."""
        relative = f"/v2/credentials/{uuid.uuid4()}"
        container_id = f"{task_id}-{secrets.randbelow(9_000_000_000) + 1_000_000_000}"
        self.agent.add_credentials(relative.rsplit("/", 1)[1], self.agent_credentials(logical_role, credentials))
        task_arn = f"arn:aws:ecs:{REGION}:{self.account}:task/{self.template.ref('Cluster')}/{task_id}"
        container = {"DockerId": container_id, "Name": container_name, "DockerName": container_name,
                     "Image": f"{self.account}.dkr.ecr.{REGION}.amazonaws.com/wishes:test", "ImageID": "sha256:" + "0" * 64,
                     "Labels": {"com.amazonaws.ecs.cluster": self.template.get_att("Cluster", "Arn"), "com.amazonaws.ecs.task-arn": task_arn,
                                "com.amazonaws.ecs.task-definition-family": family, "com.amazonaws.ecs.task-definition-version": str(revision)},
                     "DesiredStatus": "RUNNING", "KnownStatus": "RUNNING", "Limits": {"CPU": 2}, "CreatedAt": utc(), "StartedAt": utc(),
                     "Type": "NORMAL", "LogDriver": "awslogs", "ContainerARN": f"arn:aws:ecs:{REGION}:{self.account}:container/{task_id}/{uuid.uuid4()}",
                     "Networks": [{"NetworkMode": "awsvpc", "IPv4Addresses": ["10.0.1.23"]}]}
        task = {"Cluster": self.template.get_att("Cluster", "Arn"), "TaskARN": task_arn, "Family": family, "Revision": str(revision),
                "DesiredStatus": "RUNNING", "KnownStatus": "RUNNING", "Limits": {"CPU": 0.25, "Memory": 512}, "PullStartedAt": utc(),
                "PullStoppedAt": utc(), "AvailabilityZone": f"{REGION}a", "LaunchType": "FARGATE", "Containers": [container],
                "ClockDrift": {"ClockErrorBound": 0.5, "ReferenceTimestamp": utc(), "ClockSynchronizationStatus": "SYNCHRONIZED"},
                "EphemeralStorageMetrics": {"Utilized": 0, "Reserved": 20496}}
        self.agent.add_metadata(container_id, container, task)
        return {
            "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI": relative,
            "AWS_DEFAULT_REGION": REGION,
            "AWS_EXECUTION_ENV": "AWS_ECS_FARGATE",
            "AWS_REGION": REGION,
            "ECS_AGENT_URI": f"http://169.254.170.2/api/{container_id}",
            "ECS_CONTAINER_METADATA_URI": f"http://169.254.170.2/v3/{container_id}",
            "ECS_CONTAINER_METADATA_URI_V4": f"http://169.254.170.2/v4/{container_id}",
            "HOSTNAME": "ip-10-0-1-23.ec2.internal",
            "PATH": "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
        }

    # --- the web front (an ECS service's task) ---------------------------------------------------
    def start_web(self):
        t = self.template
        task_id = secrets.token_hex(16)
        credentials = self.assume("WebTaskRole", task_id)
        definition = t.props("WebTaskDefinition")
        container = definition["ContainerDefinitions"][0]
        self.api_token = secrets.token_urlsafe(30)
        env = t.container_environment("WebTaskDefinition")
        # Secrets Manager's value, which ECS puts in the environment at start.
        env.update({name: self.api_token for name in t.container_secrets("WebTaskDefinition")})
        env.update(self.ecs_task_environment(task_id, definition["Family"], 1, "WebTaskRole", credentials, container["Name"]))
        self.web_env = env
        self.binaries["Web"] = Binary("Web", container["EntryPoint"], env, "/", self.logs)

    # --- the function ----------------------------------------------------------------------------
    def start_function(self):
        import runtime_api
        t = self.template
        props = t.props("Function")
        name = props["FunctionName"]
        self.function_arn = t.get_att("Function", "Arn")
        self.lam = runtime_api.Lambda(function_arn=self.function_arn, timeout_seconds=int(props["Timeout"]), ports=LAMBDA_PORTS)
        credentials = self.assume("FunctionRole", name)
        log_group = t.resolve(t.props(props["LoggingConfig"]["LogGroup"]["Ref"])["LogGroupName"])
        self.function_envs = []
        for index, port in enumerate(LAMBDA_PORTS):
            env = t.function_environment("Function")
            env.update({
                "AWS_ACCESS_KEY_ID": credentials["AccessKeyId"], "AWS_SECRET_ACCESS_KEY": credentials["SecretAccessKey"],
                "AWS_SESSION_TOKEN": credentials["SessionToken"], "AWS_REGION": REGION, "AWS_DEFAULT_REGION": REGION,
                "AWS_LAMBDA_FUNCTION_NAME": name, "AWS_LAMBDA_FUNCTION_VERSION": "$LATEST",
                "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": str(props["MemorySize"]), "AWS_LAMBDA_INITIALIZATION_TYPE": "on-demand",
                "AWS_LAMBDA_LOG_GROUP_NAME": log_group,
                "AWS_LAMBDA_LOG_STREAM_NAME": f"{time.strftime('%Y/%m/%d')}/[$LATEST]{secrets.token_hex(16)}",
                "AWS_LAMBDA_LOG_FORMAT": props["LoggingConfig"]["LogFormat"], "AWS_LAMBDA_RUNTIME_API": f"127.0.0.1:{port}",
                "AWS_XRAY_CONTEXT_MISSING": "LOG_ERROR", "AWS_XRAY_DAEMON_ADDRESS": "169.254.79.129:2000",
                "_AWS_XRAY_DAEMON_ADDRESS": "169.254.79.129", "_AWS_XRAY_DAEMON_PORT": "2000",
                "_HANDLER": props["Handler"], "LAMBDA_TASK_ROOT": "/var/task", "LAMBDA_RUNTIME_DIR": "/var/runtime",
                "LANG": "en_US.UTF-8", "TZ": ":UTC", "PATH": "/usr/local/bin:/usr/bin/:/bin:/opt/bin",
                "LD_LIBRARY_PATH": "/lib64:/usr/lib64:/var/runtime:/var/runtime/lib:/var/task:/var/task/lib:/opt/lib",
            })
            self.function_envs.append(env)
            self.binaries[f"MakeAWish-{index + 1}"] = Binary(f"MakeAWish-{index + 1}", ["/var/task/bootstrap"], env, "/var/task", self.logs)

    # --- ECS: what Fargate does with a task ------------------------------------------------------
    def on_run_task(self, task):
        run = {"task": task, "running": threading.Event(), "done": threading.Event(), "events": [], "binary": None}
        with self.task_runs_lock:
            self.task_runs[task.id] = run
        threading.Thread(target=self.fargate, args=(run,), name=f"task-{task.id[:8]}", daemon=True).start()

    def on_stop_task(self, task):
        with self.task_runs_lock:
            run = self.task_runs.get(task.id)
        if run and run["binary"] and run["binary"].process.poll() is None:
            run["binary"].process.send_signal(signal.SIGTERM)  # what ECS sends first; SIGKILL after stopTimeout

    def init_containers(self, essential):
        """What Fargate does before the essential container starts, as the template wires it: a fresh volume
        per task, each container the essential one waits for (dependsOn SUCCESS) run to its end with the
        volume mounted, then the volume read-only for the essential container. Each task gets its own
        mount namespace, so concurrent tasks never share a volume."""
        containers = {c["Name"]: c for c in self.template.props("TaskDefinition")["ContainerDefinitions"]}
        volumes = {m["SourceVolume"]: m["ContainerPath"] for c in containers.values() for m in c.get("MountPoints", [])}
        steps = ["set -e"]
        for volume, path in volumes.items():
            steps.append(f"mount -t tmpfs -o mode=0755,uid={UID},gid={UID},size=512m {shlex.quote(volume)} {shlex.quote(path)}")
        for dependency in essential.get("DependsOn", []):
            if dependency["Condition"] != "SUCCESS":
                raise KeyError(f"the test only runs dependsOn SUCCESS, not {dependency['Condition']}")
            init = containers[dependency["ContainerName"]]
            argv = [*init.get("EntryPoint", []), *init.get("Command", [])]
            # As the image's user, with no environment but the one ECS gives every container.
            steps.append(f"env -i /usr/bin/setpriv --reuid={UID} --regid={UID} --clear-groups -- {shlex.join(argv)}")
        for mount in essential.get("MountPoints", []):
            if mount.get("ReadOnly"):
                steps.append(f"mount -o remount,ro {shlex.quote(mount['ContainerPath'])}")
        steps.append('exec "$@"')
        return ["unshare", "--mount", "--propagation", "private", "--", "/bin/sh", "-c", "\n".join(steps), "init"]

    def fargate(self, run):
        task = run["task"]
        try:
            credentials = self.assume("TaskRole", task.id)
            definition = self.template.main_container("TaskDefinition")
            env = self.template.container_environment("TaskDefinition")
            env.update(task.container_environment())
            env.update(self.ecs_task_environment(task.id, task.definition.family, task.definition.revision, "TaskRole", credentials,
                                                 definition["Name"]))
            run["env"] = env
            with self.ecs.lock:
                task.set_status("PENDING", pullStartedAt=1)
            self.emit_task_state(task, run)
            name = f"CountToThree-{env.get('WISH_ID', task.id)[-6:]}"
            binary = Binary(name, definition["EntryPoint"], env, "/", self.logs, prefix=self.init_containers(definition))
            run["binary"] = binary
            self.binaries[name] = binary
            ids = binary.ids()
            self.report.check(f"{name} runs as uid/gid {UID}, no groups, user not in /etc/passwd",
                              ids in ((str(UID), str(UID), ""), None), ids, binaries=[name])
            with self.ecs.lock:
                task.set_status("RUNNING", pullStoppedAt=1, startedAt=1)
            run["running"].set()
            self.emit_task_state(task, run)
            try:
                code = binary.process.wait(timeout=90)
            except subprocess.TimeoutExpired:
                binary.process.kill()
                code = binary.process.wait(5)
                self.errors.append(f"task {task.id} ran past 90 s and was killed")
            with self.ecs.lock:
                task.exit_code = code
                task.desired_status = "STOPPED"
                task.stop_code = task.stop_code or "EssentialContainerExited"
                task.stopped_reason = task.stopped_reason or "Essential container in task exited"
                task.set_status("DEPROVISIONING", stoppingAt=1, executionStoppedAt=1)
            self.emit_task_state(task, run)
            with self.ecs.lock:
                task.set_status("STOPPED", stoppedAt=1)
            self.emit_task_state(task, run)
        except Exception:
            self.errors.append(f"task {task.id}: {traceback.format_exc()}")
        finally:
            run["done"].set()

    def task_state_event(self, task):
        """ECS's "ECS Task State Change" as EventBridge delivers it."""
        iso = lambda name: utc(task.times[name]) if name in task.times else None  # noqa: E731
        container = task.container()
        container.update({"imageDigest": "sha256:" + "0" * 64, "runtimeId": f"{task.id}-1234567890",
                          "networkInterfaces": [{"attachmentId": task.id[:8] + "-eni", "privateIpv4Address": "10.0.1.23"}]})
        detail = {
            "attachments": [{"id": task.id[:8] + "-eni", "type": "eni", "status": "ATTACHED",
                             "details": [{"name": "subnetId", "value": "subnet-0a1b2c3d4e5f60718"}]}],
            "attributes": [{"name": "ecs.cpu-architecture", "value": "x86_64"}],
            "availabilityZone": f"{REGION}a", "capacityProviderName": task.capacity_provider, "clusterArn": task.cluster_arn,
            "connectivity": "CONNECTED", "connectivityAt": utc(task.created_at), "containers": [container], "cpu": task.cpu,
            "createdAt": utc(task.created_at), "desiredStatus": task.desired_status, "enableExecuteCommand": False,
            "ephemeralStorage": {"sizeInGiB": 20}, "launchType": "FARGATE", "lastStatus": task.last_status, "memory": task.memory,
            "overrides": {"containerOverrides": (task.request.get("overrides") or {}).get("containerOverrides", [])},
            "platformVersion": "1.4.0", "taskArn": task.arn, "taskDefinitionArn": task.definition.arn, "updatedAt": utc(),
            "version": task.version,
        }
        for name in ("startedBy", "group"):
            if name in task.request:
                detail[name] = task.request[name]
        for name in ("pullStartedAt", "pullStoppedAt", "startedAt", "stoppingAt", "executionStoppedAt", "stoppedAt"):
            if iso(name):
                detail[name] = iso(name)
        if task.stop_code:
            detail["stopCode"] = task.stop_code
            detail["stoppedReason"] = task.stopped_reason
        return {"version": "0", "id": str(uuid.uuid4()), "detail-type": "ECS Task State Change", "source": "aws.ecs",
                "account": self.account, "time": utc_seconds(), "region": REGION, "resources": [task.arn], "detail": detail}

    def emit_task_state(self, task, run):
        """EventBridge: the rule of the template decides; a match invokes the function asynchronously."""
        import event_pattern
        with self.ecs.lock:
            event = self.task_state_event(task)
        matched = event_pattern.matches(self.template.event_pattern("TaskStateChangeRule"), event)
        run["events"].append((event["detail"]["lastStatus"], matched))
        if matched:
            self.deliver("task-state " + event["detail"]["lastStatus"], event)

    def deliver(self, kind, payload, instance=None):
        invocation = self.lam.invoke(payload, instance=instance)
        record = {"kind": kind, "instance": invocation.instance, "result": invocation.kind, "errorType": invocation.error_type,
                  "body": invocation.body}
        with self.deliveries_lock:
            self.deliveries.append(record)
        return record

    # --- Lambda's SQS event source mapping -------------------------------------------------------
    def sqs_event(self, messages, queue_arn, receive_count=None):
        records = []
        for message in messages:
            attributes = {name: value for name, value in message.get("Attributes", {}).items()
                          if name in ("ApproximateReceiveCount", "SentTimestamp", "SenderId", "ApproximateFirstReceiveTimestamp", "AWSTraceHeader")}
            if receive_count is not None:
                attributes["ApproximateReceiveCount"] = str(receive_count)
            message_attributes = {}
            for name, value in message.get("MessageAttributes", {}).items():
                converted = {"stringListValues": [], "binaryListValues": [], "dataType": value["DataType"]}
                if "StringValue" in value:
                    converted["stringValue"] = value["StringValue"]
                if "BinaryValue" in value:
                    converted["binaryValue"] = base64.b64encode(value["BinaryValue"]).decode()
                message_attributes[name] = converted
            record = {"messageId": message["MessageId"], "receiptHandle": message["ReceiptHandle"], "body": message["Body"],
                      "attributes": attributes, "messageAttributes": message_attributes, "md5OfBody": message["MD5OfBody"],
                      "eventSource": "aws:sqs", "eventSourceARN": queue_arn, "awsRegion": REGION}
            if "MD5OfMessageAttributes" in message:
                record["md5OfMessageAttributes"] = message["MD5OfMessageAttributes"]
            records.append(record)
        return {"Records": records}

    # --- the web, as a browser or a program uses it ----------------------------------------------
    def web(self, method, path, body=None, basic=False, timeout=15, port=WEB_PORT):
        headers = {"Authorization": ("Basic " + base64.b64encode(f"visitor:{self.api_token}".encode()).decode()) if basic
                   else f"Bearer {self.api_token}"}
        data = None
        if body is not None:
            data = json.dumps(body).encode()
            headers["Content-Type"] = "application/json"
        request = urllib.request.Request(f"http://127.0.0.1:{port}{path}", data=data, method=method, headers=headers)
        try:
            with urllib.request.urlopen(request, timeout=timeout) as response:
                return response.status, response.read()
        except urllib.error.HTTPError as error:
            return error.code, error.read()

    # --- the flow --------------------------------------------------------------------------------
    def flow(self):
        r = self.report
        t = self.template
        self.start_web()
        self.start_function()
        wait_for("Web answering /healthz", lambda: self.healthy(), timeout=30)
        r.check("Web is up on 0.0.0.0:8080 (ECS container credentials, no keys in its environment)", True)
        r.check("both function instances finished init and wait on /next", self.lam.wait_all_idle(30),
                {"initErrors": [api.init_errors for api in self.lam.instances]})
        for name, binary in self.binaries.items():
            ids = binary.ids()
            r.check(f"{name} runs as uid/gid {UID}, no groups, user not in /etc/passwd", ids == (str(UID), str(UID), ""), ids, binaries=[name])
        everyone = [self.web_env, *self.function_envs]
        r.check("no AWS_ENDPOINT_URL*, AWS_PROFILE or HOME in any binary's environment",
                not any(k.startswith("AWS_ENDPOINT_URL") or k in ("AWS_PROFILE", "HOME", "AWS_CA_BUNDLE", "SSL_CERT_FILE") for env in everyone for k in env))
        r.check("no static key outside the function's Lambda-style session keys",
                "AWS_ACCESS_KEY_ID" not in self.web_env and all(env["AWS_ACCESS_KEY_ID"].startswith("ASIA") and env.get("AWS_SESSION_TOKEN")
                                                                 for env in self.function_envs))

        # The wishes through the API, as a program submits them.
        command = {"name": "production-shaped-command", "command": ["sh", "-c", "echo hello"],
                   "environment": [{"name": "APP_SECRET", "value": SECRET_VALUE}]}
        count = {"name": "production-shaped-count", "wish": "a production-shaped wish", "timeoutSeconds": 600}
        self.wishes = {}
        answers = {}

        def submit(label, spec):
            status, body = self.web("POST", "/api/wishes", spec)
            ok = r.check(f"POST /api/wishes ({label}) is accepted", status == 202, {"status": status, "body": body[:300].decode("utf-8", "replace")},
                         binaries=["Web"])
            if ok:
                self.wishes[label] = json.loads(body)["id"]
                answers[label] = body
            return ok
        for label, spec in (("command", command), ("count", count)):
            if not submit(label, spec):
                return
        r.check("the API's answer shows no secret value", SECRET_VALUE.encode() not in answers["command"])
        # Two commands that try what an attacker would (probe.py), one without a job role and one with; the
        # command wish's environment is the victim.
        probe_environment = [{"name": "PROBE_VICTIM_BUCKET", "value": self.bucket},
                             {"name": "PROBE_VICTIM_KEY", "value": f"wishes/{self.wishes['command']}/secrets.json"},
                             {"name": "PROBE_TASK_ROLE", "value": self.roles["TaskRole"]["arn"]}]
        for label, role in (("probe", None), ("probe-job", self.job_role_arn)):
            spec = {"name": f"production-shaped-{label}", "command": ["/usr/bin/python3", PROBE], "environment": probe_environment}
            if role:
                spec["jobRoleArn"] = role
            if not submit(label, spec):
                return
        status, body = self.web("POST", "/api/wishes", {"command": ["true"], "jobRoleArn": self.roles["TaskRole"]["arn"]})
        problems = json.loads(body).get("problems", []) if status == 400 else []
        r.check("a wish that names a role the stack does not list (the task role itself) gets 400 naming jobRoleArn",
                status == 400 and [p["field"] for p in problems] == ["jobRoleArn"], {"status": status, "body": body[:300].decode("utf-8", "replace")})

        # The event source mapping: receive with the function's role, hand the batch to the function.
        function_credentials = {"AccessKeyId": self.function_envs[0]["AWS_ACCESS_KEY_ID"], "SecretAccessKey": self.function_envs[0]["AWS_SECRET_ACCESS_KEY"],
                                "SessionToken": self.function_envs[0]["AWS_SESSION_TOKEN"]}
        sqs = self.boto("sqs", function_credentials)
        queue_url = t.queue_url("WishesQueue")
        queue_arn = t.get_att("WishesQueue", "Arn")
        messages = {}

        def receive():
            answer = sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10, WaitTimeSeconds=1, VisibilityTimeout=360,
                                         MessageSystemAttributeNames=["All"], MessageAttributeNames=["All"])
            for message in answer.get("Messages", []):
                messages[message["MessageId"]] = message
            return len(messages) >= len(self.wishes)
        wait_for("every wish's SQS message", receive, timeout=20, interval=0)
        bodies = [json.loads(m["Body"]) for m in messages.values()]
        r.check("the queue holds one message per wish, each naming its wish", sorted(b.get("id") for b in bodies) == sorted(self.wishes.values()),
                [m["Body"][:200] for m in messages.values()])
        r.check("no secret value in the SQS messages", all(SECRET_VALUE not in m["Body"] for m in messages.values()))
        batch = list(messages.values())
        event = self.sqs_event(batch, queue_arn)

        # At-least-once: the same batch to both instances at once (two pollers, one message each time).
        first = [self.lam.submit(json.dumps(event).encode(), instance=i) for i in range(len(self.lam.instances))]
        for invocation in first:
            if not invocation.done.wait(self.lam.timeout_seconds):
                invocation.kind = "timeout"
            with self.deliveries_lock:
                self.deliveries.append({"kind": "sqs", "instance": invocation.instance, "result": invocation.kind,
                                        "errorType": invocation.error_type, "body": invocation.body})
        answers = [inv.body for inv in first]
        r.check("the SQS batch, delivered to both instances at once, is answered with no batchItemFailures",
                all(inv.kind == "response" and json.loads(inv.body or "null") == {"batchItemFailures": []} for inv in first),
                answers, binaries=["MakeAWish-1", "MakeAWish-2"])
        ecs = self.ecs.summary()
        r.check(f"two deliveries of {len(self.wishes)} wishes started exactly {len(self.wishes)} ECS tasks, one per client token",
                ecs["tasksStarted"] == len(self.wishes) and len(ecs["tokens"]) == len(self.wishes), {"runTaskCalls": ecs["runTaskCalls"], "tokens": ecs["tokens"]},
                binaries=["MakeAWish-1", "MakeAWish-2"])

        # The sweep (EventBridge's one-minute schedule) while the count wish's task runs.
        count_task = self.task_for(self.wishes["count"])
        if r.check("the count wish has a task", count_task is not None):
            wait_for("the count wish's task RUNNING", lambda: self.task_runs[count_task.id]["running"].is_set(), timeout=30)
            scheduled = {"version": "0", "id": str(uuid.uuid4()), "detail-type": "Scheduled Event", "source": "aws.events",
                         "account": self.account, "time": utc_seconds(), "region": REGION,
                         "resources": [t.get_att("ScheduleRule", "Arn")], "detail": {}}
            sweep = self.deliver("schedule", scheduled)
            report = json.loads(sweep["body"] or "{}") if sweep["result"] == "response" else {}
            r.check("the minute's sweep (ListTasks, DescribeTasks with tags) sees the running task and stops nothing",
                    report.get("active", 0) >= 1 and report.get("timedOut") == [] and report.get("stuck") == [], sweep,
                    binaries=["MakeAWish-1", "MakeAWish-2"])

        # A redelivery after the visibility timeout: ApproximateReceiveCount 2, same message ids.
        again = self.deliver("sqs redelivery", self.sqs_event(batch, queue_arn, receive_count=2))
        ecs = self.ecs.summary()
        r.check("a later redelivery is answered with no failures and starts no task",
                again["result"] == "response" and json.loads(again["body"] or "null") == {"batchItemFailures": []}
                and ecs["tasksStarted"] == len(self.wishes),
                {"answer": again["body"], "runTaskCalls": ecs["runTaskCalls"], "tasksStarted": ecs["tasksStarted"]},
                binaries=["MakeAWish-1", "MakeAWish-2"])
        # Success: the mapping deletes the batch with the function's role. One DeleteMessage each: AWS
        # authorizes DeleteMessageBatch as sqs:DeleteMessage, moto as sqs:DeleteMessageBatch, no IAM action.
        for message in batch:
            sqs.delete_message(QueueUrl=queue_url, ReceiptHandle=message["ReceiptHandle"])
        left = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"])
        r.check("the event source mapping deletes the batch with the function's role; the queue is empty",
                all(value == "0" for value in left["Attributes"].values()), left["Attributes"])

        # The tasks run, their events come back; the wishes end.
        finals = {}
        for label, wish_id in self.wishes.items():
            def final(wish_id=wish_id):
                status, body = self.web("GET", f"/api/wishes/{wish_id}")
                if status == 200 and json.loads(body)["state"] in ("SUCCEEDED", "FAILED"):
                    return json.loads(body)
                return None
            try:
                finals[label] = wait_for(f"wish {label} final", final, timeout=60, interval=0.25)
            except TimeoutError as error:
                status, body = self.web("GET", f"/api/wishes/{wish_id}")
                r.check(f"wish {label} ends", False, {"error": str(error), "last": body[:500].decode("utf-8", "replace")})
        with self.task_runs_lock:
            runs = list(self.task_runs.values())
        for run in runs:
            run["done"].wait(30)
        for label, view in finals.items():
            task = self.task_for(self.wishes[label])
            attempts = view.get("attempts") or []
            r.check(f"wish {label}: SUCCEEDED through GET /api/wishes/{{id}}, its attempt on the ECS task", view["state"] == "SUCCEEDED"
                    and task is not None and any(a.get("taskArn") == task.arn for a in attempts),
                    {"state": view["state"], "statusReason": view.get("statusReason"), "attempts": attempts})
        # What the template's rule lets through (main's rule now passes PENDING too, for STARTING).
        passed = set(t.event_pattern("TaskStateChangeRule")["detail"]["lastStatus"])
        lifecycle = ("PENDING", "RUNNING", "DEPROVISIONING", "STOPPED")
        for run in runs:
            r.check(f"task {run['task'].id[:8]}: ECS events PENDING, RUNNING, DEPROVISIONING, STOPPED; the rule passes {', '.join(sorted(passed))} only",
                    run["events"] == [(status, status in passed) for status in lifecycle], run["events"])
            r.check(f"task {run['task'].id[:8]}: exit code 0", run["task"].exit_code == 0, run["task"].exit_code,
                    binaries=[run["binary"].name] if run["binary"] else [])

        status, page = self.web("GET", "/wishes", basic=True)
        text = page.decode("utf-8", "replace")
        rows = {label: next((row for row in text.split("<tr>") if f'href="/wishes/{wish_id}"' in row), None)
                for label, wish_id in self.wishes.items()}
        r.check("GET /wishes (basic auth) lists every wish, each row SUCCEEDED",
                status == 200 and all(row and "SUCCEEDED" in row for row in rows.values()), {"status": status, "rows": rows})
        status, output = self.web("GET", f"/api/wishes/{self.wishes['command']}/output")
        r.check('the command wish\'s output reads "hello" via /api/wishes/{id}/output', status == 200 and output == b"hello\n",
                {"status": status, "output": output[:200].decode("utf-8", "replace")})
        status, output = self.web("GET", f"/api/wishes/{self.wishes['count']}/output")
        r.check("the count wish's output counts to three", status == 200 and b"three" in output,
                {"status": status, "output": output[:300].decode("utf-8", "replace")})
        with self.deliveries_lock:
            deliveries = list(self.deliveries)
        r.check("every function invocation was answered (no error, no timeout)", all(d["result"] == "response" for d in deliveries),
                [{k: d[k] for k in ("kind", "instance", "result", "errorType")} | {"body": (d["body"] or "")[:200]} for d in deliveries],
                binaries=["MakeAWish-1", "MakeAWish-2"])
        r.check("task state events reached the function",
                sum(1 for d in deliveries if d["kind"].startswith("task-state")) == len(passed & set(lifecycle)) * len(self.wishes),
                [d["kind"] for d in deliveries])
        self.probe_checks()
        self.untrusted_ca_control()

    def probe_checks(self):
        """What the probes found (probe.py): every way to the task's credentials refused; the job role's own."""
        r = self.report
        found = {}
        for label in ("probe", "probe-job"):
            status, output = self.web("GET", f"/api/wishes/{self.wishes[label]}/output")
            text = output.decode("utf-8", "replace")
            line = next((line for line in text.splitlines() if line.startswith("PROBE ")), None)
            found[label] = json.loads(line[len("PROBE "):]) if line else {}
            r.check(f"{label}: the command ran and reported what it tried", status == 200 and line is not None, text[-1000:])
        plain, job = found["probe"], found["probe-job"]
        r.check("without a job role a command has no AWS credentials source (AWS_CONTAINER_*, keys, profile) and no ECS_* endpoint in its environment",
                plain.get("environment") == [], plain.get("environment"))
        r.check("with a job role a command has AWS_CONTAINER_CREDENTIALS_FULL_URI and AWS_CONTAINER_AUTHORIZATION_TOKEN, nothing else of the kind",
                job.get("environment") == ["AWS_CONTAINER_AUTHORIZATION_TOKEN", "AWS_CONTAINER_CREDENTIALS_FULL_URI"], job.get("environment"))
        for label, probe in found.items():
            r.check(f"{label}: its parent CountToThree's /proc/<pid>/environ and /proc/<pid>/mem cannot be opened, ptrace is refused (non-dumpable)",
                    probe.get("parent") == "CountToThree" and probe.get("parentEnviron") == "PermissionError"
                    and probe.get("parentMem") == "PermissionError" and probe.get("parentPtrace") == "Operation not permitted",
                    {k: probe.get(k) for k in ("parent", "parentEnviron", "parentMem", "parentPtrace")})
            r.check(f"{label}: the ECS agent (169.254.170.2) gives no credentials or metadata at a guessed, bare or root path",
                    probe.get("agent") and all(status in (400, 403, 404) for status in probe["agent"].values()), probe.get("agent"))
        r.check("the job role's endpoint is the command's own, on loopback (http://127.0.0.1)",
                job.get("jobEndpoint") == {"host": "127.0.0.1", "scheme": "http"}, job.get("jobEndpoint"))
        r.check("with its token the endpoint answers as ECS's agent does (AccessKeyId, SecretAccessKey, Token, Expiration, RoleArn), for the job role",
                job.get("jobWithToken") == {"status": 200, "fields": ["AccessKeyId", "Expiration", "RoleArn", "SecretAccessKey", "Token"],
                                            "roleArn": self.job_role_arn}, job.get("jobWithToken"))
        r.check("the endpoint refuses a request without the token (401), with a guessed token (403), at another path (404)",
                (job.get("jobNoToken"), job.get("jobGuessedToken"), job.get("jobOtherPath")) == (401, 403, 404),
                [job.get("jobNoToken"), job.get("jobGuessedToken"), job.get("jobOtherPath")])
        session = f"arn:aws:sts::{self.account}:assumed-role/{JOB_ROLE_NAME}/wish-{self.wishes['probe-job']}-1"
        r.check("the keys are the job role's session for this wish and attempt (STS GetCallerIdentity), not the task role's",
                job.get("jobCaller") == [200, session], {"got": job.get("jobCaller"), "want": session})
        r.check("the job role's keys cannot read another wish's secrets.json (S3 AccessDenied)",
                job.get("jobReadsVictim") == [403, "AccessDenied"], job.get("jobReadsVictim"))
        r.check("the job role's keys cannot become the task role (STS AssumeRole AccessDenied)",
                job.get("jobAssumesTaskRole") == [403, "AccessDenied"], job.get("jobAssumesTaskRole"))

    def untrusted_ca_control(self):
        """Negative control: Web again, its bundle at the same path without the test CA: TLS must fail.

        Without it, a client that skipped certificate verification would pass every check above."""
        r = self.report
        self.control_window = [len(self.front.recorded()), None]
        env = dict(self.web_env, WISHES_WEB_PORT=str(WEB_PORT + 1))
        # Its own mount namespace, where the bundle without the test CA is bound over AL2023's path.
        prefix = ["/usr/bin/unshare", "--mount", "--propagation", "private", "--", "/bin/sh", "-c",
                  f'mount --bind "$0" {CA_BUNDLE} && exec "$@"', os.path.join(self.root, "fs", "ca-bundle-without-test-ca.crt")]
        name = "Web-untrusted-CA"
        self.binaries[name] = control = Binary(name, self.template.props("WebTaskDefinition")["ContainerDefinitions"][0]["EntryPoint"],
                                               env, "/", self.logs, prefix=prefix)
        try:
            wait_for("the control Web answering /healthz", lambda: self.healthy(WEB_PORT + 1, control), timeout=30)
            status, body = self.web("POST", "/api/wishes", {"wish": "never recorded"}, port=WEB_PORT + 1, timeout=60)
        finally:
            control.stop()
            self.control_window[1] = len(self.front.recorded())
        failures = [q.get("tlsError") for q in self.front.recorded()[self.control_window[0]:self.control_window[1]]]
        r.check("control: with the test CA missing from /etc/pki/tls/certs/ca-bundle.crt, Web refuses the server's certificate (503, no request completed)",
                status == 503 and b"CERTIFICATE_VERIFY_FAILED" in body and failures and all(failures),
                {"status": status, "body": body[:400].decode("utf-8", "replace"), "handshakesRefused": len(failures)}, binaries=[name])

    def task_for(self, wish_id):
        with self.ecs.lock:
            for task in self.ecs.tasks.values():
                if task.container_environment().get("WISH_ID") == wish_id:
                    return task
        return None

    def healthy(self, port=WEB_PORT, binary=None):
        binary = binary or self.binaries["Web"]
        if binary.process.poll() is not None:
            raise RuntimeError(f"{binary.name} exited with {binary.process.returncode}")
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2) as response:
                return response.status == 200
        except OSError:
            return False

    # --- after the flow --------------------------------------------------------------------------
    def verdicts(self):
        r = self.report
        # Shutdown as ECS and Lambda do it: SIGTERM, then SIGKILL after the grace.
        codes = {name: binary.stop() for name, binary in self.binaries.items()}
        r.check("Web stops cleanly on SIGTERM (exit 0)", codes.get("Web") == 0, codes, binaries=["Web"])
        r.check("MakeAWish stops cleanly on SIGTERM (exit 0)", all(codes.get(n) == 0 for n in codes if n.startswith("MakeAWish")), codes,
                binaries=[n for n in codes if n.startswith("MakeAWish")])
        for name, binary in self.binaries.items():
            bad, not_json = [], []
            for line in binary.lines():
                try:
                    entry = json.loads(line)
                except ValueError:
                    not_json.append(line[:300])
                    continue
                if entry.get("level") in ("error", "critical"):
                    bad.append(line[:500])
            if name.endswith("-untrusted-CA"):
                continue  # it fails on purpose
            r.check(f"{name}: every log line is JSON, none at error or critical", not bad and not not_json,
                    {"errors": bad, "notJSON": not_json} if bad or not_json else {"lines": len(binary.lines())}, binaries=[name])
            stderr = binary.stderr().strip()
            r.check(f"{name}: nothing on stderr", not stderr, stderr[:1000] or None, binaries=[name])
            r.check(f"{name}: the wish's secret value is in no log", SECRET_VALUE not in "\n".join(binary.lines()) + binary.stderr(), binaries=[name])

        requests = self.front.recorded()
        ours = [q for q in requests if q.get("userAgent", "").startswith("wishes/")]
        by_host = {}
        for q in ours:
            by_host.setdefault(q["host"], {}).setdefault(str(q["status"]), 0)
            by_host[q["host"]][str(q["status"])] += 1
        refused = [q for q in ours if q["status"] in (400, 401, 403) or q["status"] >= 500]
        r.check("the binaries reached SQS, S3 (virtual-hosted bucket) and ECS by their AWS names over TLS",
                {f"sqs.{REGION}.amazonaws.com", f"{self.bucket}.s3.{REGION}.amazonaws.com", f"ecs.{REGION}.amazonaws.com"} <= set(by_host), by_host)
        r.check("no request of the binaries was refused (no 400/401/403/5xx: signatures, IAM policies, bodies)", not refused, refused[:20],
                binaries=list(self.binaries))
        start, end = getattr(self, "control_window", (len(requests), len(requests)))
        outside = [q["tlsError"] for q in requests[:start] + requests[end or len(requests):] if q.get("tlsError")]
        r.check("every TLS handshake named the host (SNI) and none failed (the control's aside)",
                not outside and set(self.front.sni) <= set(self.hosts) and None not in self.front.sni,
                {"sni": sorted(set(str(s) for s in self.front.sni)), "tlsErrors": outside[:5]})
        ecs = self.ecs.summary()
        r.check("ECS saw only valid, signed, permitted requests (botocore's model, SigV4, the template's policies)", not ecs["problems"],
                ecs, binaries=["MakeAWish-1", "MakeAWish-2"])
        r.check("ECS: RunTask, ListTasks and DescribeTasks were called", {"RunTask", "ListTasks", "DescribeTasks"} <= set(ecs["calls"]), ecs["calls"])
        agent = self.agent.recorded()
        # What the probes asked the agent for (their own User-Agent), judged apart.
        probed = [q for q in agent if q["userAgent"] == "wishes-probe"]
        agent = [q for q in agent if q["userAgent"] != "wishes-probe"]
        r.check("the agent refused every request of a wish's command (none answered 200)",
                probed and all(q["status"] != 200 for q in probed), probed)
        r.check("CountToThree assumed the job role at STS by its AWS name, over TLS",
                any(q["host"] == f"sts.{REGION}.amazonaws.com" and q["status"] == 200 for q in ours), by_host.get(f"sts.{REGION}.amazonaws.com"))
        credential_fetches = [q for q in agent if q["path"].startswith("/v2/credentials/") and q["status"] == 200]
        metadata_fetches = [q for q in agent if q["path"].startswith("/v4/") and q["path"].endswith("/task") and q["status"] == 200]
        r.check("Web and each task took their role's credentials from 169.254.170.2 (RELATIVE_URI)",
                len({q["path"] for q in credential_fetches}) == 1 + len(self.task_runs), [q["path"] for q in credential_fetches])
        # The task is told its spec in RunTask's overrides (WISHES_SPEC) and learns nothing from the agent's metadata.
        passed = [any(e.get("name") == "WISHES_SPEC" for o in (run["task"].request.get("overrides") or {}).get("containerOverrides", [])
                      for e in o.get("environment", []))
                  for run in self.task_runs.values()]
        r.check("every RunTask passed the spec (WISHES_SPEC) and no task re-read it from the metadata endpoint",
                passed and all(passed) and not metadata_fetches,
                {"passed": passed, "metadata": [q["path"] for q in agent if q["path"].startswith("/v4/")]})
        r.check("no unknown agent path was asked for", all(q["status"] == 200 for q in agent), [q for q in agent if q["status"] != 200])
        protocol = [e for api in self.lam.instances for e in api.protocol_errors + [str(i) for i in api.init_errors]]
        r.check("the Runtime API saw no protocol error and no init error", not protocol, protocol, binaries=["MakeAWish-1", "MakeAWish-2"])
        servers = [*self.front.errors, *self.agent.errors, *(e for api in self.lam.instances for e in api.errors)]
        r.check("the harness's servers (TLS front, agent, Runtime API) had no error", not servers, servers)
        r.check("the harness itself had no error", not self.errors, self.errors)

    def close(self):
        if getattr(self, "closed", False):
            return
        self.closed = True
        for path in getattr(self, "made_mount_points", []):
            try:
                os.rmdir(path)
            except OSError:
                pass
        for binary in list(self.binaries.values()):
            try:
                binary.stop(grace=2)
            except Exception:
                pass
        if getattr(self, "lam", None):
            self.lam.close()
        if self.moto and self.moto.poll() is None:
            self.moto.terminate()
            try:
                self.moto.wait(5)
            except subprocess.TimeoutExpired:
                self.moto.kill()

    def print_logs(self, names):
        for name in names:
            binary = self.binaries.get(name)
            if binary is None:
                continue
            print(f"----- {name} stdout ({binary.out_path}) -----")
            print("\n".join(binary.lines()[-200:]))
            stderr = binary.stderr()
            if stderr.strip():
                print(f"----- {name} stderr -----")
                print(stderr[-5000:])


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--bin", default=".build/release", help="folder with the static MakeAWish, CountToThree and Web")
    parser.add_argument("--lambda-zip", help="the function's zip (deploy/package-lambda); its bootstrap runs instead of --bin's MakeAWish")
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder (logs, certificates)")
    args = parser.parse_args()
    for name in ("MakeAWish", "CountToThree", "Web"):
        if not os.access(os.path.join(args.bin, name), os.X_OK):
            sys.exit(f"{os.path.join(args.bin, name)} is missing: build the release binaries first")
    if os.environ.get(MARKER) != "1":
        enter_namespace(sys.argv[1:])
    # The harness's own clients trust only what they are told (the test CA), through no proxy.
    for name in list(os.environ):
        if name.lower().endswith("_proxy") or name in ("AWS_CA_BUNDLE", "SSL_CERT_FILE", "SSL_CERT_DIR", "REQUESTS_CA_BUNDLE", "NIX_SSL_CERT_FILE") \
                or name.startswith("AWS_"):
            del os.environ[name]
    started = time.monotonic()
    harness = Harness(args)
    # A signal ends the run through the `finally`s below: processes stopped, the temporary folder removed.
    for number in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
        signal.signal(number, lambda number, _: sys.exit(128 + number))
    code = 1
    try:
        code = run_checks(harness, args, started)
    finally:
        harness.close()
        if not args.keep:
            shutil.rmtree(harness.root, ignore_errors=True)
    sys.exit(code)


def run_checks(harness, args, started):
    crashed = None
    try:
        harness.start()
        harness.flow()
    except Exception as error:
        crashed = error
        harness.report.check("the flow ran to its end", False, "".join(traceback.format_exception(error))[-3000:])
    # (A signal skips the verdicts: main's `finally` stops everything.)
    try:
        if getattr(harness, "lam", None):
            harness.verdicts()
    except Exception as error:
        harness.report.check("the verdicts could be taken", False, "".join(traceback.format_exception(error))[-3000:])
    harness.close()
    failed = harness.report.failed()
    total = len(harness.report.checks)
    print(json.dumps({"summary": "production-shaped", "checks": total, "failed": len(failed),
                      "seconds": round(time.monotonic() - started, 1), "tmp": harness.root if args.keep else None}), flush=True)
    if failed:
        names = sorted({name for _, binaries in failed for name in binaries}) or (sorted(harness.binaries) if crashed else [])
        harness.print_logs(names)
        if crashed or not names:
            print("----- moto -----")
            print(open(os.path.join(harness.logs, "moto.log"), errors="replace").read()[-5000:])
        print("FAILED:", "; ".join(entry["check"] for entry, _ in failed), flush=True)
    return 1 if failed else 0

if __name__ == "__main__":
    main()
