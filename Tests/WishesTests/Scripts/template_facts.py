"""Reads deploy/wishes.yaml with cfn-lint's own CloudFormation YAML loader and states what the code
must agree with: each binary's environment, the resource names, the redrive settings.

argv[1]: the template path as a JSON string; argv[2] receives the facts as JSON. Values set by an
intrinsic function (!Ref, !GetAtt, ...) are given as "<intrinsic>".
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


def of_type(kind):
    return {name: r["Properties"] for name, r in resources.items() if r["Type"] == kind}


function = next(iter(of_type("AWS::Lambda::Function").values()))
task = next(iter(of_type("AWS::ECS::TaskDefinition").values()))
container = task["ContainerDefinitions"][0]
web = next(iter(of_type("AWS::AppRunner::Service").values()))["SourceConfiguration"]["ImageRepository"]["ImageConfiguration"]
queues = of_type("AWS::SQS::Queue")
facts = {
    "environment": {
        "MakeAWish": {k: plain(v) for k, v in function["Environment"]["Variables"].items()},
        "CountToThree": {e["Name"]: plain(e["Value"]) for e in container["Environment"]},
        "Web": {e["Name"]: plain(e["Value"]) for e in web["RuntimeEnvironmentVariables"]}
        | {e["Name"]: "<secret>" for e in web.get("RuntimeEnvironmentSecrets", [])},
    },
    "entryPoints": {
        "CountToThree": container["EntryPoint"][0],
        "Web": web["StartCommand"],
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
    "functionTimeout": function["Timeout"],
    "runtime": function["Runtime"],
    "batchResponses": sorted({t for m in of_type("AWS::Lambda::EventSourceMapping").values() for t in m.get("FunctionResponseTypes", [])}),
}
json.dump(facts, open(sys.argv[2], "w"))
