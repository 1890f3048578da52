"""ECS's JSON 1.1 API for RunTask, DescribeTasks, ListTasks and StopTask, as strict as ECS where it matters.

Every request is checked as ECS checks it: a SigV4 signature by known temporary credentials, the
caller's role policies (from the template) for the action, its resource and its condition keys
(RunTask also needs iam:PassRole for the task definition's roles and ecs:TagResource for tags given
at creation), and the body against botocore's service model (unknown fields and wrong types are an
InvalidParameterException, HTTP 400). `clientToken` returns the task it started, never a second.
Answers are checked against the model's output shapes before they are sent.

Anything a correct client never causes (a bad signature, a denied call, an invalid body) is kept in
`problems`; the harness fails on it.
"""
import json
import secrets
import threading
import time

import botocore.session
from botocore.validate import ParamValidator

import iam_policy
from sigv4 import AWSError, verify

_MODEL = botocore.session.get_session().get_service_model("ecs")
TARGET_PREFIX = _MODEL.metadata["targetPrefix"]
CONTENT_TYPE = "application/x-amz-json-" + _MODEL.metadata["jsonVersion"]
# Fargate's task sizes: cpu units -> allowed memory (MiB).
_FARGATE_SIZES = {
    "256": {512, 1024, 2048},
    "512": set(range(1024, 4097, 1024)),
    "1024": set(range(2048, 8193, 1024)),
    "2048": set(range(4096, 16385, 1024)),
    "4096": set(range(8192, 30721, 1024)),
    "8192": set(range(16384, 61441, 4096)),
    "16384": set(range(32768, 122881, 8192)),
}
_STARTED_BY = set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-/_")


def _validate(shape, value, where):
    report = ParamValidator().validate(value, shape)
    if report.has_errors():
        raise AWSError(400, "InvalidParameterException", f"{where}: {report.generate_report()}")


class TaskDefinition:
    def __init__(self, *, account, region, family, revision, containers, task_role_arn, execution_role_arn, cpu, memory, network_mode):
        self.family = family
        self.revision = revision
        self.arn = f"arn:aws:ecs:{region}:{account}:task-definition/{family}:{revision}"
        self.containers = containers
        self.task_role_arn = task_role_arn
        self.execution_role_arn = execution_role_arn
        self.cpu = cpu
        self.memory = memory
        self.network_mode = network_mode


class Task:
    """One task, kept as ECS describes it."""

    def __init__(self, *, arn, cluster_arn, definition, request, capacity_provider, tags):
        self.arn = arn
        self.id = arn.rsplit("/", 1)[1]
        self.cluster_arn = cluster_arn
        self.definition = definition
        self.request = request
        self.capacity_provider = capacity_provider
        self.tags = tags
        self.last_status = "PROVISIONING"
        self.desired_status = "RUNNING"
        self.created_at = time.time()
        self.times = {}
        self.exit_code = None
        self.stop_code = None
        self.stopped_reason = None
        self.version = 1
        overrides = request.get("overrides") or {}
        self.cpu = overrides.get("cpu") or definition.cpu
        self.memory = overrides.get("memory") or definition.memory
        self.container_arn = f"{arn.replace(':task/', ':container/')}/{secrets.token_hex(16)}"

    def container_environment(self):
        """The environment the task's override gives its container."""
        for override in (self.request.get("overrides") or {}).get("containerOverrides", []):
            if override.get("name") == self.definition.containers[0]:
                return {item["name"]: item["value"] for item in override.get("environment", [])}
        return {}

    def set_status(self, status, **times):
        self.last_status = status
        self.version += 1
        self.times.update({name: time.time() for name in times})

    def container(self):
        container = {"containerArn": self.container_arn, "taskArn": self.arn, "name": self.definition.containers[0],
                     "image": "123456789012.dkr.ecr.us-east-1.amazonaws.com/wishes:test", "lastStatus": self.last_status,
                     "networkInterfaces": [], "cpu": "0"}
        if self.exit_code is not None:
            container["exitCode"] = self.exit_code
        return container

    def describe(self, include_tags):
        task = {
            "taskArn": self.arn, "clusterArn": self.cluster_arn, "taskDefinitionArn": self.definition.arn,
            "lastStatus": self.last_status, "desiredStatus": self.desired_status, "capacityProviderName": self.capacity_provider,
            "launchType": "FARGATE", "platformVersion": "1.4.0", "platformFamily": "Linux", "cpu": self.cpu, "memory": self.memory,
            "containers": [self.container()], "overrides": self.overrides(), "createdAt": self.created_at, "version": self.version,
            "availabilityZone": "us-east-1a", "connectivity": "CONNECTED", "enableExecuteCommand": False,
            "attachments": [{"id": self.id[:8] + "-eni", "type": "ElasticNetworkInterface", "status": "ATTACHED", "details": []}],
            "ephemeralStorage": {"sizeInGiB": 20},
        }
        for name in ("startedBy", "group"):
            if name in self.request:
                task[name] = self.request[name]
        for name in ("pullStartedAt", "pullStoppedAt", "startedAt", "stoppingAt", "stoppedAt", "executionStoppedAt"):
            if name in self.times:
                task[name] = self.times[name]
        if self.stop_code:
            task["stopCode"] = self.stop_code
            task["stoppedReason"] = self.stopped_reason
        if include_tags:
            task["tags"] = self.tags
        return task

    def overrides(self):
        overrides = dict(self.request.get("overrides") or {})
        overrides.setdefault("containerOverrides", [])
        overrides.setdefault("inferenceAcceleratorOverrides", [])
        return overrides


class ECSService:
    def __init__(self, *, principals, account, region, clusters, task_definitions, on_run, on_stop):
        self.principals = principals
        self.account = account
        self.region = region
        self.host = f"ecs.{region}.amazonaws.com"
        self.clusters = clusters  # name -> capacity providers
        self.task_definitions = {d.family: d for d in task_definitions}
        self.on_run = on_run
        self.on_stop = on_stop
        self.lock = threading.Lock()
        self.tasks = {}
        self.by_token = {}
        self.calls = []
        self.problems = []

    # --- HTTP --------------------------------------------------------------------------------------
    def handle(self, method, path, headers, body):
        operation = (headers.get("X-Amz-Target") or "").partition(".")[2] or "?"
        record = {"operation": operation, "status": 200}
        try:
            principal = verify(self.principals, method=method, host=self.host, path=path, headers=headers, body=body,
                               service="ecs", region=self.region)
            record["principal"] = principal.arn
            if method != "POST" or path != "/":
                raise AWSError(404, "UnknownOperationException", f"{method} {path}")
            target_prefix, _, operation = (headers.get("X-Amz-Target") or "").partition(".")
            if target_prefix != TARGET_PREFIX or operation not in ("RunTask", "DescribeTasks", "ListTasks", "StopTask"):
                raise AWSError(400, "UnknownOperationException", f"X-Amz-Target {headers.get('X-Amz-Target')}")
            content_type = (headers.get("Content-Type") or "").split(";")[0].strip()
            if content_type != CONTENT_TYPE:
                raise AWSError(400, "SerializationException", f"Content-Type {content_type} is not {CONTENT_TYPE}")
            try:
                params = json.loads(body or b"{}")
            except ValueError as error:
                raise AWSError(400, "SerializationException", f"body is not JSON: {error}")
            if not isinstance(params, dict):
                raise AWSError(400, "SerializationException", "body is not a JSON object")
            operation_model = _MODEL.operation_model(operation)
            _validate(operation_model.input_shape, params, operation)
            answer = getattr(self, "_" + operation)(principal, params, record)
            _validate(operation_model.output_shape, answer, f"{operation} answer (the test's own bug)")
            payload = json.dumps(answer).encode()
            status = 200
        except AWSError as error:
            record.update(status=error.status, error=error.code, message=error.message[:500])
            with self.lock:
                self.problems.append(f"ECS {operation} from {record.get('principal', '?')}: {error.code}: {error.message[:800]}")
            payload = json.dumps({"__type": error.code, "message": error.message}).encode()
            status = error.status
        with self.lock:
            self.calls.append(record)
        return status, {"Content-Type": CONTENT_TYPE, "x-amzn-RequestId": secrets.token_hex(16)}, payload

    # --- helpers -----------------------------------------------------------------------------------
    def _authorize(self, principal, action, resource, context):
        decision = iam_policy.evaluate(principal.policies, action, resource, context)
        if decision != "Allow":
            raise AWSError(400, "AccessDeniedException",
                           f"User: {principal.arn} is not authorized to perform: {action} on resource: {resource} "
                           f"because no identity-based policy allows the {action} action ({decision}; context {context})")

    def _cluster(self, value):
        name = (value or "default").rsplit("/", 1)[-1]
        if value and value.startswith("arn:") and value != f"arn:aws:ecs:{self.region}:{self.account}:cluster/{name}":
            raise AWSError(400, "ClusterNotFoundException", "Cluster not found.")
        if name not in self.clusters:
            raise AWSError(400, "ClusterNotFoundException", "Cluster not found.")
        return name, f"arn:aws:ecs:{self.region}:{self.account}:cluster/{name}"

    def _definition(self, value):
        reference = value.split("task-definition/", 1)[-1]
        family, _, revision = reference.partition(":")
        definition = self.task_definitions.get(family)
        if definition is None or (revision and revision != str(definition.revision)):
            raise AWSError(400, "ClientException", "Unable to describe task definition.")
        return definition

    def _task(self, cluster_name, reference):
        task_id = reference.rsplit("/", 1)[-1]
        task = self.tasks.get(task_id)
        if task is None or task.cluster_arn.rsplit("/", 1)[-1] != cluster_name:
            return None
        if reference.startswith("arn:") and reference not in (task.arn,):
            return None
        return task

    # --- operations --------------------------------------------------------------------------------
    def _RunTask(self, principal, params, record):
        cluster_name, cluster_arn = self._cluster(params.get("cluster"))
        definition = self._definition(params["taskDefinition"])
        token = params.get("clientToken")
        record["clientToken"] = token
        if token is not None and (len(token) > 64 or any(not 33 <= ord(c) <= 126 for c in token)):
            raise AWSError(400, "InvalidParameterException", "clientToken must be up to 64 characters in the range 33-126")
        self._authorize(principal, "ecs:RunTask", definition.arn, {"ecs:cluster": cluster_arn})
        for role in (definition.task_role_arn, definition.execution_role_arn):
            self._authorize(principal, "iam:PassRole", role, {"iam:PassedToService": "ecs-tasks.amazonaws.com"})
        count = params.get("count", 1)
        if not 1 <= count <= 10:
            raise AWSError(400, "InvalidParameterException", "count must be from 1 to 10")
        if count != 1:
            raise AWSError(400, "InvalidParameterException", "this test's ECS runs one task per call")
        if "launchType" in params and "capacityProviderStrategy" in params:
            raise AWSError(400, "InvalidParameterException", "Specifying both a launch type and capacity provider strategy is not supported.")
        strategy = params.get("capacityProviderStrategy") or []
        providers = self.clusters[cluster_name]
        for item in strategy:
            if item["capacityProvider"] not in providers:
                raise AWSError(400, "InvalidParameterException", f"The specified capacity provider {item['capacityProvider']} is not in the cluster.")
        capacity_provider = strategy[0]["capacityProvider"] if strategy else "FARGATE"
        if definition.network_mode == "awsvpc":
            network = (params.get("networkConfiguration") or {}).get("awsvpcConfiguration")
            if not network:
                raise AWSError(400, "InvalidParameterException", "Network Configuration must be provided when networkMode 'awsvpc' is specified.")
            if not 1 <= len(network["subnets"]) <= 16 or len(network.get("securityGroups", [])) > 5:
                raise AWSError(400, "InvalidParameterException", "awsvpcConfiguration takes 1 to 16 subnets and at most 5 security groups")
            if network.get("assignPublicIp", "DISABLED") not in ("ENABLED", "DISABLED"):
                raise AWSError(400, "InvalidParameterException", f"assignPublicIp {network['assignPublicIp']} is not ENABLED or DISABLED")
        overrides = params.get("overrides") or {}
        if len(json.dumps(overrides, separators=(",", ":"))) > 8192:
            raise AWSError(400, "InvalidParameterException", "Container Overrides length must be at most 8192")
        for override in overrides.get("containerOverrides", []):
            if override.get("name") not in definition.containers:
                raise AWSError(400, "InvalidParameterException",
                               f"Override for container named {override.get('name')} is not a container in the TaskDefinition.")
        cpu, memory = overrides.get("cpu", definition.cpu), overrides.get("memory", definition.memory)
        if cpu not in _FARGATE_SIZES or not memory.isdigit() or int(memory) not in _FARGATE_SIZES[cpu]:
            raise AWSError(400, "ClientException", f"No Fargate configuration exists for given values: {cpu} CPU, {memory} memory.")
        started_by = params.get("startedBy")
        if started_by is not None and (len(started_by) > 128 or not set(started_by) <= _STARTED_BY):
            raise AWSError(400, "InvalidParameterException", "startedBy takes up to 128 letters, numbers, hyphens, forward slashes and underscores")
        if len(params.get("group", "")) > 255:
            raise AWSError(400, "InvalidParameterException", "group is longer than 255 characters")
        tags = params.get("tags") or []
        if len(tags) > 50 or len({tag["key"] for tag in tags}) != len(tags):
            raise AWSError(400, "InvalidParameterException", "at most 50 tags, each key once")
        for tag in tags:
            if not 1 <= len(tag["key"]) <= 128 or len(tag.get("value", "")) > 256:
                raise AWSError(400, "InvalidParameterException", f"tag {tag['key']!r}: keys take 1 to 128 characters, values up to 256")
            if tag["key"].lower().startswith("aws:") or tag.get("value", "").lower().startswith("aws:"):
                raise AWSError(400, "InvalidParameterException", "Tag keys and values may not start with aws: (reserved).")
        if params.get("propagateTags") == "SERVICE":
            raise AWSError(400, "InvalidParameterException", "propagateTags SERVICE is not valid for RunTask")

        with self.lock:
            if token is not None and token in self.by_token:
                task = self.by_token[token]
                if task.request != params:
                    raise AWSError(400, "InvalidParameterException",
                                   f"clientToken {token} was used with other parameters (the test treats that as a caller's bug)")
                record["newTask"] = False
                return {"tasks": [task.describe(include_tags=False)], "failures": []}
            arn = f"arn:aws:ecs:{self.region}:{self.account}:task/{cluster_name}/{secrets.token_hex(16)}"
        if tags:
            self._authorize(principal, "ecs:TagResource", arn, {"ecs:CreateAction": "RunTask", "ecs:cluster": cluster_arn})
        all_tags = list(tags)
        if params.get("enableECSManagedTags"):
            all_tags.append({"key": "aws:ecs:clusterName", "value": cluster_name})
        task = Task(arn=arn, cluster_arn=cluster_arn, definition=definition, request=params, capacity_provider=capacity_provider, tags=all_tags)
        with self.lock:
            if token is not None and token in self.by_token:  # a racing call with the same token won
                record["newTask"] = False
                return {"tasks": [self.by_token[token].describe(include_tags=False)], "failures": []}
            self.tasks[task.id] = task
            if token is not None:
                self.by_token[token] = task
        record["newTask"] = True
        record["taskArn"] = arn
        self.on_run(task)
        return {"tasks": [task.describe(include_tags=False)], "failures": []}

    def _DescribeTasks(self, principal, params, record):
        cluster_name, cluster_arn = self._cluster(params.get("cluster"))
        if len(params["tasks"]) > 100:
            raise AWSError(400, "InvalidParameterException", "tasks can have at most 100 items.")
        include_tags = "TAGS" in (params.get("include") or [])
        found, failures = [], []
        for reference in params["tasks"]:
            with self.lock:
                task = self._task(cluster_name, reference)
            arn = task.arn if task else reference
            self._authorize(principal, "ecs:DescribeTasks", arn if arn.startswith("arn:") else
                            f"arn:aws:ecs:{self.region}:{self.account}:task/{cluster_name}/{reference}", {"ecs:cluster": cluster_arn})
            if task is None:
                failures.append({"arn": reference, "reason": "MISSING"})
            else:
                found.append(task.describe(include_tags))
        return {"tasks": found, "failures": failures}

    def _ListTasks(self, principal, params, record):
        cluster_name, cluster_arn = self._cluster(params.get("cluster"))
        self._authorize(principal, "ecs:ListTasks", "*", {"ecs:cluster": cluster_arn})
        if "serviceName" in params and ("family" in params or "startedBy" in params):
            raise AWSError(400, "InvalidParameterException", "serviceName may not be combined with family or startedBy")
        limit = params.get("maxResults", 100)
        if not 1 <= limit <= 100:
            raise AWSError(400, "InvalidParameterException", "maxResults must be from 1 to 100")
        desired = params.get("desiredStatus", "RUNNING")
        with self.lock:
            arns = sorted(task.arn for task in self.tasks.values()
                          if task.cluster_arn == cluster_arn and task.desired_status == desired
                          and params.get("startedBy") in (None, task.request.get("startedBy"))
                          and params.get("family") in (None, task.definition.family))
        start = int(params["nextToken"]) if params.get("nextToken", "").isdigit() else 0
        answer = {"taskArns": arns[start:start + limit]}
        if start + limit < len(arns):
            answer["nextToken"] = str(start + limit)
        return answer

    def _StopTask(self, principal, params, record):
        cluster_name, cluster_arn = self._cluster(params.get("cluster"))
        with self.lock:
            task = self._task(cluster_name, params["task"])
        if task is None:
            raise AWSError(400, "InvalidParameterException", "The referenced task was not found.")
        self._authorize(principal, "ecs:StopTask", task.arn, {"ecs:cluster": cluster_arn})
        if len(params.get("reason", "")) > 255:
            raise AWSError(400, "InvalidParameterException", "reason is longer than 255 characters")
        with self.lock:
            first = task.desired_status != "STOPPED"
            task.desired_status = "STOPPED"
            if first:
                task.stop_code = "UserInitiated"
                task.stopped_reason = params.get("reason") or "Task stopped by user"
                task.times.setdefault("stoppingAt", time.time())
        if first:
            self.on_stop(task)
        return {"task": task.describe(include_tags=False)}

    # --- what the harness reads --------------------------------------------------------------------
    def summary(self):
        with self.lock:
            run_calls = [c for c in self.calls if c["operation"] == "RunTask"]
            return {
                "calls": {op: sum(1 for c in self.calls if c["operation"] == op) for op in sorted({c["operation"] for c in self.calls})},
                "runTaskCalls": len(run_calls),
                "tasksStarted": len(self.tasks),
                "tokens": {token: sum(1 for c in run_calls if c.get("clientToken") == token) for token in self.by_token},
                "problems": list(self.problems),
            }
