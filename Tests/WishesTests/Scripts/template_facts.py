"""Reads deploy/wishes.yaml with cfn-lint's own CloudFormation YAML loader and states what the code
must agree with: each binary's environment, the resource names, the redrive settings, and the web
front's and the grants' shapes.

argv[1]: the template path as a JSON string; argv[2] receives the facts as JSON. Values set by an
intrinsic function (!Ref, !GetAtt, ...) are given as "<intrinsic>"; values from an ECS container's
`Secrets` as "<secret>".
"""
import json
import sys

from cfnlint.decode import decode

template, matches = decode(json.load(open(sys.argv[1])))
if matches:
    raise SystemExit(f"template does not parse: {matches}")
resources = template["Resources"]


def plain(value):
    return value if isinstance(value, (str, int, float, bool)) else "<intrinsic>"


def text(value):
    """A resource ARN as written: a string, or the text of its Fn::Sub."""
    if isinstance(value, str):
        return value
    if isinstance(value, dict) and "Fn::Sub" in value and isinstance(value["Fn::Sub"], str):
        return value["Fn::Sub"]
    return "<intrinsic>"


def of_type(kind):
    return {name: r["Properties"] for name, r in resources.items() if r["Type"] == kind}


def referenced(value):
    """The logical id a !Ref or !GetAtt names, else None."""
    if isinstance(value, dict) and "Ref" in value:
        return value["Ref"]
    if isinstance(value, dict) and "Fn::GetAtt" in value:
        return value["Fn::GetAtt"][0]
    return None


def container_environment(container):
    plain_values = {e["Name"]: plain(e["Value"]) for e in container.get("Environment", [])}
    secrets = {e["Name"]: "<secret>" for e in container.get("Secrets", [])}
    if plain_values.keys() & secrets.keys():
        raise SystemExit(f"{container['Name']} sets {sorted(plain_values.keys() & secrets.keys())} both plainly and as secrets")
    return plain_values | secrets


function = next(iter(of_type("AWS::Lambda::Function").values()))
services = of_type("AWS::ECS::Service")
definitions = of_type("AWS::ECS::TaskDefinition")
# The web front's task definition is the one its service runs; the wishes' one is what RunTask starts.
web_service = next(iter(services.values()))
web_definition = definitions[referenced(web_service["TaskDefinition"])]
task = next(d for name, d in definitions.items() if name not in {referenced(s["TaskDefinition"]) for s in services.values()})
# The wish's container runs the supervisor from the shared volume; the init container (the Wishes
# image) puts it there.
container = next(c for c in task["ContainerDefinitions"] if c.get("Essential", True))
init = next((c for c in task["ContainerDefinitions"] if c is not container), {})
web = web_definition["ContainerDefinitions"][0]
target_group = resources[referenced(web_service["LoadBalancers"][0]["TargetGroupArn"])]["Properties"]
queues = of_type("AWS::SQS::Queue")
topic = next(iter(of_type("AWS::SNS::Topic").values()))
topic_key = resources.get(referenced(topic.get("KmsMasterKeyId")) or "", {"Type": plain(topic.get("KmsMasterKeyId")), "Properties": {}})
distribution = next(iter(of_type("AWS::CloudFront::Distribution").values()), {}).get("DistributionConfig", {})
behaviour = distribution.get("DefaultCacheBehavior", {})

def inline_policies(role):
    """(policy, condition) of a role's inline policies; a policy behind !If [Condition, policy, !Ref AWS::NoValue]
    is named with its condition."""
    for policy in role.get("Policies", []):
        if isinstance(policy, dict) and "Fn::If" in policy:
            condition, yes, no = policy["Fn::If"]
            for branch, holds in ((yes, condition), (no, f"!{condition}")):
                if isinstance(branch, dict) and "PolicyDocument" in branch:
                    yield branch, holds
        else:
            yield policy, None


grants = []
assume_role_grants = []
for name, role in of_type("AWS::IAM::Role").items():
    for policy, condition in inline_policies(role):
        for statement in policy["PolicyDocument"]["Statement"]:
            actions = statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
            if any(a.startswith("sts:") for a in actions):
                targets = statement["Resource"] if isinstance(statement["Resource"], list) else [statement["Resource"]]
                assume_role_grants.append({"role": name, "actions": actions, "condition": condition or "",
                                           "resources": [f"Ref:{r['Ref']}" if isinstance(r, dict) and "Ref" in r else text(r) for r in targets]})
for name, role in of_type("AWS::IAM::Role").items():
    for policy, _ in inline_policies(role):
        for statement in policy["PolicyDocument"]["Statement"]:
            actions = statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
            if any(a.startswith("ecs:") for a in actions):
                targets = statement["Resource"] if isinstance(statement["Resource"], list) else [statement["Resource"]]
                grants.append({
                    "role": name,
                    "actions": actions,
                    "resources": [text(r) for r in targets],
                    "conditionKeys": sorted(k for operator in statement.get("Condition", {}).values() for k in operator),
                })

facts = {
    "environment": {
        "MakeAWish": {k: plain(v) for k, v in function["Environment"]["Variables"].items()},
        "CountToThree": container_environment(container),
        "Web": container_environment(web),
    },
    "entryPoints": {
        "CountToThree": init.get("EntryPoint", ["<no init container>"])[0],
        "Web": web["EntryPoint"][0],
        "MakeAWish": function["Handler"],
    },
    "queues": {
        q["QueueName"]: {
            "visibilityTimeout": q.get("VisibilityTimeout"),
            "maxReceiveCount": q.get("RedrivePolicy", {}).get("maxReceiveCount"),
            "encrypted": q.get("SqsManagedSseEnabled", False),
        }
        for q in queues.values()
    },
    "cluster": next(iter(of_type("AWS::ECS::Cluster").values()))["ClusterName"],
    "capacityProviders": next(iter(of_type("AWS::ECS::Cluster").values()))["CapacityProviders"],
    "family": task["Family"],
    "container": container["Name"],
    "taskWiring": {
        "containers": [c["Name"] for c in task["ContainerDefinitions"]],
        "initImage": referenced(init.get("Image")) or plain(init.get("Image")),
        "initEssential": init.get("Essential", True),
        "initCommand": init.get("Command", []),
        "initMounts": [f'{m["SourceVolume"]}:{m["ContainerPath"]}:{"ro" if m.get("ReadOnly") else "rw"}' for m in init.get("MountPoints", [])],
        "userImage": referenced(container.get("Image")) or plain(container.get("Image")),
        "userEntryPoint": container.get("EntryPoint", []),
        "userDependsOn": [f'{d["ContainerName"]}:{d["Condition"]}' for d in container.get("DependsOn", [])],
        "userMounts": [f'{m["SourceVolume"]}:{m["ContainerPath"]}:{"ro" if m.get("ReadOnly") else "rw"}' for m in container.get("MountPoints", [])],
        "volumes": [v["Name"] for v in task.get("Volumes", [])],
        # What the dispatcher's copy (ECS.TaskDefinition) must carry over: every property written here.
        "definitionProperties": sorted(task.keys()),
        "containerProperties": sorted({k for c in task["ContainerDefinitions"] for k in c}),
    },
    "functionTimeout": function["Timeout"],
    "functionMemorySize": function.get("MemorySize", 128),
    "runtime": function["Runtime"],
    "batchResponses": sorted({t for m in of_type("AWS::Lambda::EventSourceMapping").values() for t in m.get("FunctionResponseTypes", [])}),
    "architectures": sorted({plain(d.get("RuntimePlatform", {}).get("CpuArchitecture", "<unset>")) for d in definitions.values()}
                            | {plain(a) for a in function.get("Architectures", ["<unset>"])}),
    "web": {
        "serviceCluster": referenced(web_service["Cluster"]),
        "launchType": web_service.get("LaunchType", "<unset>"),
        "containerPort": web["PortMappings"][0]["ContainerPort"],
        "serviceContainerPort": web_service["LoadBalancers"][0]["ContainerPort"],
        "targetPort": target_group["Port"],
        "healthCheckPath": target_group.get("HealthCheckPath", "<unset>"),
        "tokenFrom": [resources.get(referenced(s["ValueFrom"]) or "", {}).get("Type", "<not a resource>")
                      for s in web.get("Secrets", []) if s["Name"] == "WISHES_API_TOKEN"],
        "viewerProtocolPolicy": behaviour.get("ViewerProtocolPolicy", "<unset>"),
        "cachePolicyId": behaviour.get("CachePolicyId", "<unset>"),
        "originRequestPolicyId": behaviour.get("OriginRequestPolicyId", "<unset>"),
        "allowedMethods": sorted(behaviour.get("AllowedMethods", [])),
        "defaultCertificate": distribution.get("ViewerCertificate", {}).get("CloudFrontDefaultCertificate", False),
        "url": text(template.get("Outputs", {}).get("WebUrl", {}).get("Value")),
    },
    "alarmTopicKey": {
        "type": topic_key["Type"],
        "rotation": topic_key["Properties"].get("EnableKeyRotation", False),
        "cloudWatchMay": sorted(a for s in topic_key["Properties"].get("KeyPolicy", {}).get("Statement", [])
                                if s.get("Principal", {}).get("Service") == "cloudwatch.amazonaws.com"
                                for a in (s["Action"] if isinstance(s["Action"], list) else [s["Action"]])),
    },
    "ecsGrants": grants,
    "assumeRoleGrants": assume_role_grants,
    "types": sorted({r["Type"] for r in resources.values()}),
}
json.dump(facts, open(sys.argv[2], "w"))
