"""Deploys deploy/wishes.yaml into moto's CloudFormation with the `aws` CLI and states what moto made of it.

argv[1] (optional): a JSON file holding the template's path as a JSON string (default: deploy/wishes.yaml);
argv[2] (optional): receives the summary as JSON. The summary is printed on stdout as well.

What it does, each time on a moto server of its own (`python3 -m moto.server`, a free port, dummy
credentials), in us-east-1:
1. Creates what the parameters name (a VPC, two subnets, the code bucket with a zip), looks up the
   CloudFront origin-facing prefix list, and gives AlarmEmail so that every conditional resource is made, and
   JobRoleArns (JOB_ROLE) so that the task role's conditional job-roles policy is made.
2. Pass "as is": create-stack with the template unchanged, waits for the stack, reads
   describe-stack-resources (which lists a resource of a type moto cannot create as an entry without a
   logical id) and tries describe-stacks.
3. If the stack did not end CREATE_COMPLETE or describe-stacks failed (an output or a property that
   reads an attribute of a resource moto skipped makes moto answer 500), pass "copy": on a fresh server,
   a copy of the template without those resources of uncreatable types that something reads an attribute
   of (Fn::GetAtt, or ${X.Attr} in Fn::Sub), each reference to them replaced by a placeholder string. The
   summary lists what was removed and why.
4. In the last pass, every resource that the stack reports is looked up in its own service with the
   `aws` CLI (the queue, the bucket, the role, the cluster, ...): "created" holds the types found there,
   "missing" any that the stack reports but the service does not have.

"unsupportedTypes" are the template's types of which moto created no resource; "rollback" is whether any
stack event mentions a rollback or a failure.
"""
import ast
import copy
import json
import os
import re
import socket
import subprocess
import sys
import tempfile
import time
import urllib.parse
import zipfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from cfnlint.decode import decode

REPOSITORY = Path(__file__).resolve().parents[3]
# The template as is goes to one region, the copy (if one is needed) to another of the same server: the
# names the template fixes (queues, cluster, alias) are per region.
AS_IS_REGION = "us-west-2"
COPY_REGION = "us-east-1"
STACK = "wishes"
IMAGE = "123456789012.dkr.ecr.us-east-1.amazonaws.com/wishes:1"
CODE_BUCKET = "wishes-code-moto"
CODE_KEY = "make-a-wish-1.zip"
JOB_ROLE = "arn:aws:iam::123456789012:role/jobs/wishes-example-job"


def plain(node):
    """cfn-lint's nodes as plain JSON values."""
    if isinstance(node, dict):
        return {str(k): plain(v) for k, v in node.items()}
    if isinstance(node, list):
        return [plain(v) for v in node]
    if isinstance(node, str):
        return str(node)
    return node


class Moto:
    """A moto server on a free port of 127.0.0.1, stopped (by its pid) on exit."""

    def __init__(self, workdir):
        self.workdir = workdir

    def __enter__(self):
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        self.log = open(Path(self.workdir) / f"moto-{self.port}.log", "w")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(self.port)],
            stdout=self.log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, env=environment())
        deadline = time.monotonic() + 60
        while True:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=1):
                    break
            except OSError:
                if self.process.poll() is not None or time.monotonic() > deadline:
                    raise SystemExit(f"moto server did not start: {Path(self.log.name).read_text()[-2000:]}")
                time.sleep(0.2)
        self.endpoint = f"http://127.0.0.1:{self.port}"
        return self

    def __exit__(self, *_):
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self.log.close()

    def in_region(self, region):
        return Region(self, region)

    def aws(self, *args, region, check=True):
        """Runs `aws <args> --output json` against this server; returns the parsed answer (or None)."""
        done = subprocess.run(["aws", "--endpoint-url", self.endpoint, "--region", region, "--output", "json", *args],
                              capture_output=True, text=True, env=environment(), stdin=subprocess.DEVNULL)
        if done.returncode != 0:
            if check:
                raise AWSError(" ".join(args[:2]), done.stderr.strip())
            return AWSError(" ".join(args[:2]), done.stderr.strip())
        return json.loads(done.stdout) if done.stdout.strip() else None


class Region:
    """The moto server, one region of it."""

    def __init__(self, moto, region):
        self.moto, self.region = moto, region

    def aws(self, *args, check=True):
        return self.moto.aws(*args, region=self.region, check=check)


class AWSError(Exception):
    def __init__(self, call, stderr):
        super().__init__(f"aws {call}: {stderr[-600:]}")


def environment():
    """The caller's environment without its AWS settings, plus dummy credentials and our region."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update(AWS_ACCESS_KEY_ID="testing", AWS_SECRET_ACCESS_KEY="testing", AWS_CONFIG_FILE=os.devnull, AWS_SHARED_CREDENTIALS_FILE=os.devnull, AWS_PAGER="",
               # A 500 from moto is an answer to report, not a reason to wait through retries.
               AWS_MAX_ATTEMPTS="1")
    return env


def upload_code(moto, workdir):
    """The function's zip (a stand-in bootstrap) in the code bucket; S3 names are global, so once a server."""
    archive = Path(workdir) / CODE_KEY
    with zipfile.ZipFile(archive, "w") as z:
        z.writestr("bootstrap", "#!/bin/sh\n")
    account = moto.in_region(COPY_REGION)
    account.aws("s3api", "create-bucket", "--bucket", CODE_BUCKET)
    account.aws("s3api", "put-object", "--bucket", CODE_BUCKET, "--key", CODE_KEY, "--body", str(archive))


def prepare(region):
    """What the parameters point at, created in this region of moto; returns the parameters."""
    vpc = region.aws("ec2", "create-vpc", "--cidr-block", "10.0.0.0/16")["Vpc"]["VpcId"]
    with ThreadPoolExecutor(max_workers=3) as pool:
        subnets = pool.map(lambda zone: region.aws(
            "ec2", "create-subnet", "--vpc-id", vpc, "--cidr-block", f"10.0.{ord(zone) - 96}.0/24",
            "--availability-zone", f"{region.region}{zone}")["Subnet"]["SubnetId"], ["a", "b"])
        prefix_lists = pool.submit(region.aws, "ec2", "describe-managed-prefix-lists", "--filters",
                                   "Name=prefix-list-name,Values=com.amazonaws.global.cloudfront.origin-facing")
        subnets, prefix_lists = list(subnets), prefix_lists.result()["PrefixLists"]
    return {
        "ImageUri": IMAGE, "LambdaCodeBucket": CODE_BUCKET, "LambdaCodeKey": CODE_KEY, "VpcId": vpc,
        "Subnets": ",".join(subnets), "CloudFrontPrefixListId": prefix_lists[0]["PrefixListId"],
        "AlarmEmail": "alarms@example.com", "JobRoleArns": JOB_ROLE,
    }


def condition_values(template, parameters):
    """Evaluates the template's Conditions for these parameters (Equals, Not, And, Or, Condition, Ref)."""
    defaults = {name: str(p.get("Default", "")) for name, p in template.get("Parameters", {}).items()}
    values = defaults | parameters
    conditions = template.get("Conditions", {})
    cache = {}

    def value(node):
        if isinstance(node, dict) and "Ref" in node:
            return values.get(node["Ref"], "")
        if isinstance(node, dict) and "Condition" in node:
            return condition(node["Condition"])
        if isinstance(node, dict):
            (function, arguments), = node.items()
            if function == "Fn::Equals":
                return str(value(arguments[0])) == str(value(arguments[1]))
            if function == "Fn::Not":
                return not value(arguments[0])
            if function == "Fn::And":
                return all(value(a) for a in arguments)
            if function == "Fn::Or":
                return any(value(a) for a in arguments)
            if function == "Fn::Join":
                separator, items = arguments
                items = value(items)
                items = [i for i in items.split(",") if i] if isinstance(items, str) else items
                return separator.join(str(value(i)) for i in items)
            raise SystemExit(f"condition function {function} not understood")
        return node

    def condition(name):
        if name not in cache:
            cache[name] = bool(value(conditions[name]))
        return cache[name]

    return {name: condition(name) for name in conditions}


def readers_of_attributes(template):
    """Logical ids whose attributes something reads: Fn::GetAtt, or ${X.Attr} in Fn::Sub."""
    read = set()

    def walk(node):
        if isinstance(node, dict):
            for key, value in node.items():
                if key == "Fn::GetAtt":
                    read.add(value[0] if isinstance(value, list) else value.split(".")[0])
                elif key == "Fn::Sub":
                    text = value[0] if isinstance(value, list) else value
                    read.update(m.group(1) for m in re.finditer(r"\$\{([A-Za-z0-9]+)\.[A-Za-z0-9.]+\}", text))
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(template.get("Resources", {}))
    walk(template.get("Outputs", {}))
    return read


def without(template, removed):
    """A copy without the `removed` resources, every reference to one replaced by a placeholder string."""
    result = copy.deepcopy(template)
    for logical_id in removed:
        del result["Resources"][logical_id]

    def placeholder(logical_id, attribute=None):
        return f"placeholder-{logical_id}" + (f"-{attribute}" if attribute else "")

    def walk(node):
        if isinstance(node, dict):
            if set(node) == {"Ref"} and node["Ref"] in removed:
                return placeholder(node["Ref"])
            if set(node) == {"Fn::GetAtt"}:
                target = node["Fn::GetAtt"] if isinstance(node["Fn::GetAtt"], list) else node["Fn::GetAtt"].split(".", 1)
                if target[0] in removed:
                    return placeholder(target[0], target[1])
            if set(node) == {"Fn::Sub"}:
                def substitute(text):
                    return re.sub(r"\$\{([A-Za-z0-9]+)(?:\.([A-Za-z0-9.]+))?\}",
                                  lambda m: placeholder(m.group(1), m.group(2)) if m.group(1) in removed else m.group(0), text)
                value = node["Fn::Sub"]
                return {"Fn::Sub": [substitute(value[0]), walk(value[1])] if isinstance(value, list) else substitute(value)}
            out = {}
            for key, value in node.items():
                # A resource's DependsOn names resources; a container's lists {ContainerName, Condition}.
                if key == "DependsOn" and (isinstance(value, str) or all(isinstance(d, str) for d in value)):
                    kept = [d for d in ([value] if isinstance(value, str) else value) if d not in removed]
                    if kept:
                        out[key] = kept
                    continue
                out[key] = walk(value)
            return out
        if isinstance(node, list):
            return [walk(v) for v in node]
        return node

    return walk(result)


def deploy(moto, template_body, parameters):
    """create-stack, then polls list-stacks (describe-stacks may fail) until the stack settles."""
    moto.aws("cloudformation", "create-stack", "--stack-name", STACK, "--template-body", f"file://{template_body}",
             "--capabilities", "CAPABILITY_IAM", "--parameters",
             *[f"ParameterKey={k},ParameterValue={v.replace(',', chr(92) + ',')}" for k, v in parameters.items()])
    deadline = time.monotonic() + 300
    while True:
        stacks = moto.aws("cloudformation", "list-stacks")["StackSummaries"]
        status = next(s for s in stacks if s["StackName"] == STACK)
        if not status["StackStatus"].endswith("_IN_PROGRESS") or time.monotonic() > deadline:
            break
        time.sleep(0.5)
    with ThreadPoolExecutor(max_workers=3) as pool:
        resources = pool.submit(moto.aws, "cloudformation", "describe-stack-resources", "--stack-name", STACK)
        events = pool.submit(moto.aws, "cloudformation", "describe-stack-events", "--stack-name", STACK)
        described = pool.submit(moto.aws, "cloudformation", "describe-stacks", "--stack-name", STACK, check=False)
        resources, events, described = resources.result()["StackResources"], events.result()["StackEvents"], described.result()
    return {
        "stackStatus": status["StackStatus"],
        "stackStatusReason": status.get("StackStatusReason"),
        "resources": resources,
        "rollback": any("ROLLBACK" in (e.get("ResourceStatus") or "") or "FAILED" in (e.get("ResourceStatus") or "")
                        for e in events) or "ROLLBACK" in status["StackStatus"],
        "describeStacks": described,
    }


class Looker:
    """Each service's listing, asked once through the `aws` CLI (the CLI costs a second a call)."""

    def __init__(self, moto, physical, parameters, conditions=None):
        self.moto, self.physical, self.parameters = moto, physical, parameters
        self.conditions = conditions or {}
        self.cache = {}

    def resolve(self, value):
        if isinstance(value, dict) and "Ref" in value:
            return self.physical.get(value["Ref"], self.parameters.get(value["Ref"]))
        if isinstance(value, dict) and "Fn::GetAtt" in value:
            return self.physical.get(value["Fn::GetAtt"][0])
        return value

    def __call__(self, *args):
        if args not in self.cache:
            self.cache[args] = self.moto.aws(*args)
        return self.cache[args]


def check(look, kind, properties, pid, physical_of_type):
    """None if the resource is there in its service as the template says, else what is wrong."""
    if kind == "AWS::SQS::Queue":
        # moto's list answers with its own host; the stack's id with sqs.<region>.amazonaws.com.
        paths = [u.split("/", 3)[-1] for u in look("sqs", "list-queues")["QueueUrls"]]
        path = pid.split("/", 3)[-1]
        return None if path in paths and path.endswith("/" + properties["QueueName"]) else f"queue {pid} not in {paths}"
    if kind == "AWS::S3::Bucket":
        names = [b["Name"] for b in look("s3api", "list-buckets")["Buckets"]]
        return None if pid in names else f"bucket {pid} not in {names}"
    if kind == "AWS::IAM::Role":
        names = [r["RoleName"] for r in look("iam", "list-roles")["Roles"]]
        if pid not in names:
            return f"role {pid} not in {names}"
        policies = properties.get("Policies", [])
        if not any("Fn::If" in policy for policy in policies):
            return None
        # A conditional inline policy (the task role's job-roles): there exactly when its condition holds.
        wanted = set()
        for policy in policies:
            if "Fn::If" in policy:
                condition, yes, no = policy["Fn::If"]
                policy = yes if look.conditions.get(condition) else no
            if isinstance(policy, dict) and "PolicyName" in policy:
                wanted.add(policy["PolicyName"])
        held = set(look("iam", "list-role-policies", "--role-name", pid)["PolicyNames"])
        return None if held == wanted else f"role {pid}: inline policies {sorted(held)}, not {sorted(wanted)}"
    if kind == "AWS::ECS::Cluster":
        clusters = look("ecs", "describe-clusters", "--clusters", pid)["clusters"]
        return None if clusters and clusters[0]["status"] == "ACTIVE" else f"cluster {pid}: {clusters}"
    if kind == "AWS::ECS::TaskDefinition":
        arns = look("ecs", "list-task-definitions")["taskDefinitionArns"]
        return None if pid in arns and f"task-definition/{properties['Family']}:" in pid else f"task definition {pid} not in {arns}"
    if kind == "AWS::ECS::Service":
        cluster = look.resolve(properties["Cluster"])
        services = look("ecs", "describe-services", "--cluster", cluster, "--services", *physical_of_type(kind))["services"]
        found = [s for s in services if s["serviceArn"] == pid]
        return None if found and found[0]["status"] == "ACTIVE" else f"service {pid}: {services}"
    if kind == "AWS::Logs::LogGroup":
        names = [g["logGroupName"] for g in look("logs", "describe-log-groups")["logGroups"]]
        return None if pid in names else f"log group {pid} not in {names}"
    if kind == "AWS::EC2::SecurityGroup":
        groups = {g["GroupId"]: g for g in look("ec2", "describe-security-groups")["SecurityGroups"]}
        return None if pid in groups and groups[pid]["VpcId"] == look.resolve(properties["VpcId"]) else f"security group {pid}: {groups.get(pid)}"
    if kind == "AWS::EC2::SecurityGroupIngress":
        # moto gives no physical id: the rule is looked for in the group it was added to.
        groups = {g["GroupId"]: g for g in look("ec2", "describe-security-groups")["SecurityGroups"]}
        group, source = look.resolve(properties["GroupId"]), look.resolve(properties["SourceSecurityGroupId"])
        found = any(p.get("FromPort") == properties["FromPort"] and any(g["GroupId"] == source for g in p["UserIdGroupPairs"])
                    for p in groups.get(group, {}).get("IpPermissions", []))
        return None if found else f"no rule from {source} on port {properties['FromPort']} in {groups.get(group)}"
    if kind == "AWS::Lambda::Function":
        functions = {f["FunctionName"]: f for f in look("lambda", "list-functions")["Functions"]}
        ok = pid in functions and functions[pid]["Runtime"] == properties["Runtime"] and functions[pid]["Handler"] == properties["Handler"]
        return None if ok else f"function {pid}: {functions.get(pid)}"
    if kind == "AWS::Lambda::EventSourceMapping":
        mappings = {m["UUID"]: m for m in look("lambda", "list-event-source-mappings")["EventSourceMappings"]}
        queue = look.resolve(properties["EventSourceArn"]).rsplit("/", 1)[-1]
        ok = pid in mappings and mappings[pid]["EventSourceArn"].endswith(":" + queue)
        return None if ok else f"mapping {pid} for {queue}: {mappings.get(pid)}"
    if kind == "AWS::Lambda::Permission":
        # moto gives no physical id: the statement is looked for in the function's policy.
        rule = look.resolve(properties["SourceArn"])
        policy = json.loads(look("lambda", "get-policy", "--function-name", look.resolve(properties["FunctionName"]))["Policy"])
        found = any(f"rule/{rule}\"" in json.dumps(s.get("Condition", {})) and s.get("Action") == properties["Action"]
                    for s in policy["Statement"])
        return None if found else f"no statement for rule {rule} in {policy}"
    if kind == "AWS::Events::Rule":
        rules = {r["Name"]: r for r in look("events", "list-rules")["Rules"]}
        targets = look("events", "list-targets-by-rule", "--rule", pid)["Targets"] if pid in rules else []
        return None if pid in rules and rules[pid]["State"] == "ENABLED" and targets else f"rule {pid}: {rules.get(pid)}, targets {targets}"
    if kind == "AWS::ElasticLoadBalancingV2::LoadBalancer":
        balancers = {b["LoadBalancerArn"]: b for b in look("elbv2", "describe-load-balancers")["LoadBalancers"]}
        return None if balancers.get(pid, {}).get("Scheme") == properties["Scheme"] else f"load balancer {pid}: {balancers.get(pid)}"
    if kind == "AWS::ElasticLoadBalancingV2::TargetGroup":
        groups = {g["TargetGroupArn"]: g for g in look("elbv2", "describe-target-groups")["TargetGroups"]}
        return None if groups.get(pid, {}).get("HealthCheckPath") == properties["HealthCheckPath"] else f"target group {pid}: {groups.get(pid)}"
    if kind == "AWS::ElasticLoadBalancingV2::Listener":
        balancer = look.resolve(properties["LoadBalancerArn"])
        listeners = {x["ListenerArn"]: x for x in look("elbv2", "describe-listeners", "--load-balancer-arn", balancer)["Listeners"]}
        ok = pid in listeners and listeners[pid]["DefaultActions"][0]["Type"] == "fixed-response"
        return None if ok else f"listener {pid}: {listeners.get(pid)}"
    if kind == "AWS::ElasticLoadBalancingV2::ListenerRule":
        rules = {r["RuleArn"]: r for r in look("elbv2", "describe-rules", "--listener-arn", look.resolve(properties["ListenerArn"]))["Rules"]}
        ok = pid in rules and rules[pid]["Conditions"][0]["Field"] == "http-header"
        return None if ok else f"listener rule {pid}: {rules.get(pid)}"
    if kind == "AWS::KMS::Key":
        # moto 5.2.1's DescribeKey fails (500) on a key whose policy came from CloudFormation: listed, rotation, policy instead.
        keys = [k["KeyId"] for k in look("kms", "list-keys")["Keys"]]
        if pid not in keys:
            return f"key {pid} not in {keys}"
        rotation = look("kms", "get-key-rotation-status", "--key-id", pid)["KeyRotationEnabled"]
        policy = look("kms", "get-key-policy", "--key-id", pid, "--policy-name", "default")["Policy"]
        policy = json.loads(policy) if isinstance(policy, str) else policy
        # The key policy moto holds has every statement the template gives (CloudWatch's, the task role's, ...).
        wanted = {statement.get("Sid") for statement in properties["KeyPolicy"]["Statement"]}
        held = {statement.get("Sid") for statement in policy["Statement"]}
        return None if rotation and wanted <= held else f"key {pid}: rotation {rotation}, statements {sorted(held)} lack {sorted(wanted - held)}"
    if kind == "AWS::KMS::Alias":
        aliases = {x["AliasName"]: x for x in look("kms", "list-aliases")["Aliases"]}
        target = look.resolve(properties["TargetKeyId"])
        return None if aliases.get(pid, {}).get("TargetKeyId") == target else f"alias {pid} -> {target}: {aliases.get(pid)}"
    if kind == "AWS::SNS::Topic":
        attributes = look("sns", "get-topic-attributes", "--topic-arn", pid)["Attributes"]
        key = look.resolve(properties["KmsMasterKeyId"])
        return None if attributes.get("KmsMasterKeyId") == key else f"topic {pid}: KmsMasterKeyId {attributes.get('KmsMasterKeyId')}, not {key}"
    return "no check for this type"


def left_out(look, resources, physical):
    """What moto's CloudFormation made of some resources without all their properties (not a failure of
    the template, so reported, not counted as missing): security groups come without SecurityGroupEgress
    and without ingress from a prefix list; the cluster without its capacity providers and settings."""
    notes = []
    for logical_id, resource in sorted(resources.items()):
        properties, pid = resource.get("Properties", {}), physical.get(logical_id)
        if resource["Type"] == "AWS::EC2::SecurityGroup":
            groups = {g["GroupId"]: g for g in look("ec2", "describe-security-groups")["SecurityGroups"]}
            if pid not in groups:
                continue
            for rule in properties.get("SecurityGroupEgress", []):
                if not any(p.get("FromPort") == rule.get("FromPort") and p.get("IpProtocol") == rule["IpProtocol"]
                           for p in groups[pid]["IpPermissionsEgress"]):
                    notes.append(f"{logical_id}: egress {rule['IpProtocol']} {rule.get('FromPort', 'all')} (moto keeps the default all-traffic egress)")
            for rule in properties.get("SecurityGroupIngress", []):
                if "SourcePrefixListId" in rule and not any(p["PrefixListIds"] for p in groups[pid]["IpPermissions"]):
                    notes.append(f"{logical_id}: ingress from prefix list {look.resolve(rule['SourcePrefixListId'])}")
        if resource["Type"] == "AWS::ECS::Cluster":
            cluster = look("ecs", "describe-clusters", "--clusters", pid)["clusters"][0]
            if set(cluster.get("capacityProviders", [])) != set(properties.get("CapacityProviders", [])):
                notes.append(f"{logical_id}: capacity providers {properties.get('CapacityProviders')} (moto: {cluster.get('capacityProviders', [])})")
            settings = {x["name"]: x["value"] for x in cluster.get("settings", [])}
            for setting in properties.get("ClusterSettings", []):
                if settings.get(setting["Name"]) != setting["Value"]:
                    notes.append(f"{logical_id}: setting {setting['Name']}={setting['Value']} (moto: {settings.get(setting['Name'])})")
    return notes


def summary_of(moto, outcome, template, expected, parameters, verify, conditions=None):
    resources = template["Resources"]
    reported = {r["LogicalResourceId"]: r for r in outcome["resources"] if r.get("LogicalResourceId")}
    physical = {k: r.get("PhysicalResourceId") for k, r in reported.items()}
    created = sorted(set(expected) & set(reported))
    summary = {
        "stackStatus": outcome["stackStatus"],
        "stackStatusReason": outcome["stackStatusReason"],
        "rollback": outcome["rollback"],
        "describeStacks": "ok" if not isinstance(outcome["describeStacks"], AWSError) else str(outcome["describeStacks"]),
        "outputs": {} if isinstance(outcome["describeStacks"], AWSError)
        else {o["OutputKey"]: o["OutputValue"] for o in outcome["describeStacks"]["Stacks"][0].get("Outputs", [])},
        # moto lists each resource it skipped as an entry without a logical id.
        "entriesWithoutLogicalId": sum(1 for r in outcome["resources"] if not r.get("LogicalResourceId")),
        "reported": {k: resources[k]["Type"] for k in created},
        "notCreated": {k: resources[k]["Type"] for k in sorted(set(expected) - set(reported))},
    }
    if verify:
        look = Looker(moto, physical, parameters, conditions)

        def physical_of_type(kind):
            return tuple(sorted(physical[k] for k in created if resources[k]["Type"] == kind))

        def guarded(logical_id):
            try:
                return check(look, resources[logical_id]["Type"], resources[logical_id].get("Properties", {}),
                             physical[logical_id], physical_of_type)
            except AWSError as error:
                return str(error)
            except (KeyError, IndexError, TypeError, AttributeError) as error:
                return f"unexpected answer: {error!r}"

        # Each listing once, then every resource against it.
        with ThreadPoolExecutor(max_workers=3) as pool:
            problems = dict(zip(created, pool.map(guarded, created)))
        summary["created"] = {k: resources[k]["Type"] for k in created if problems[k] is None}
        summary["missing"] = {k: {"type": resources[k]["Type"], "problem": problems[k]} for k in created if problems[k] is not None}
        summary["leftOut"] = left_out(look, resources, physical)
        # What the task role may assume, as moto's IAM holds it: the job roles the parameters name.
        try:
            document = look("iam", "get-role-policy", "--role-name", physical["TaskRole"], "--policy-name", "job-roles")["PolicyDocument"]
            if isinstance(document, str):
                # IAM answers the document URL-encoded; moto's CloudFormation keeps a Python repr of it.
                text = urllib.parse.unquote(document)
                document = json.loads(text) if text.lstrip().startswith('{"') else ast.literal_eval(text)
            summary["taskRoleAssumes"] = sorted(
                resource for statement in document["Statement"] if "sts:AssumeRole" in json.dumps(statement["Action"])
                for resource in (statement["Resource"] if isinstance(statement["Resource"], list) else [statement["Resource"]]))
        except (AWSError, KeyError) as error:
            summary["taskRoleAssumes"] = [f"not read: {error}"]
    return summary


def main():
    template_path = Path(json.load(open(sys.argv[1]))) if len(sys.argv) > 1 else REPOSITORY / "deploy/wishes.yaml"
    decoded, matches = decode(str(template_path))
    if matches:
        raise SystemExit(f"template does not parse: {matches}")
    template = plain(decoded)
    passes, removed = [], {}
    with tempfile.TemporaryDirectory(prefix="wishes-cfn-moto-") as workdir, Moto(workdir) as moto:
        upload_code(moto, workdir)
        region = moto.in_region(AS_IS_REGION)
        parameters = prepare(region)
        conditions = condition_values(template, parameters)
        expected = [k for k, r in template["Resources"].items() if conditions.get(r.get("Condition"), True)]
        try:
            outcome = deploy(region, template_path, parameters)
        except AWSError as error:
            # moto skips a type it cannot create, and refuses the whole template when a resource it does
            # create reads an attribute of the skipped one (the web's WISHES_WEB_ALLOWED_HOSTS reads the
            # distribution's domain name).
            undefined = set(re.findall(r"references undefined resource (\w+)", str(error)))
            if not undefined:
                raise
            first = {"stackStatus": "REFUSED", "stackStatusReason": str(error), "describeStacks": "not reached", "rollback": False,
                     "notCreated": {k: template["Resources"][k]["Type"] for k in undefined}}
            usable = False
        else:
            first = summary_of(region, outcome, template, expected, parameters, verify=False)
            usable = first["stackStatus"] == "CREATE_COMPLETE" and first["describeStacks"] == "ok"
            if usable:
                first = summary_of(region, outcome, template, expected, parameters, verify=True, conditions=conditions)
        passes.append({"pass": "as is", "region": AS_IS_REGION, "template": str(template_path)} | first)
        if not usable:
            # moto skips a type it cannot create, but fails on reading an attribute of what it skipped.
            read = readers_of_attributes(template)
            removed = {k: kind for k, kind in first["notCreated"].items() if k in read}
            copied = without(template, set(removed))
            body = Path(workdir) / "wishes-for-moto.json"
            body.write_text(json.dumps(copied, indent=1))
            region = moto.in_region(COPY_REGION)
            parameters = prepare(region)
            expected = [k for k in expected if k not in removed]
            outcome = deploy(region, body, parameters)
            passes.append({"pass": "copy", "region": COPY_REGION, "template": "the template without " + ", ".join(sorted(removed))}
                          | summary_of(region, outcome, copied, expected, parameters, verify=True, conditions=conditions))
    last = passes[-1]
    types = {r["Type"] for r in template["Resources"].values()}
    created_types = sorted(set(last.get("created", {}).values()))
    summary = {
        "moto": subprocess.run([sys.executable, "-c", "import moto; print(moto.__version__)"],
                               capture_output=True, text=True).stdout.strip(),
        "stackStatus": last["stackStatus"],
        "rollback": any(p["rollback"] for p in passes),
        "describeStacks": last["describeStacks"],
        "createdTypes": created_types,
        "unsupportedTypes": sorted(types - set(created_types) - {m["type"] for m in last.get("missing", {}).values()}),
        "removed": [{"logicalId": k, "type": kind,
                     "why": "moto skips this type, and reading its attributes (Fn::GetAtt) then fails the stack or describe-stacks"}
                    for k, kind in sorted(removed.items())],
        "missing": last.get("missing", {}),
        "leftOut": last.get("leftOut", []),
        "outputs": last["outputs"],
        "taskRoleAssumes": last.get("taskRoleAssumes", []),
        "jobRoleArns": [JOB_ROLE],
        "passes": passes,
    }
    text = json.dumps(summary, indent=2)
    print(text)
    if len(sys.argv) > 2:
        Path(sys.argv[2]).write_text(text)


if __name__ == "__main__":
    main()
