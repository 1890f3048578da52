"""The event patterns of deploy/wishes.yaml's rules, as EventBridge would see them once the stack is up.

argv[1]: the template path as a JSON string; argv[2] receives {rule name: pattern} as JSON, with
`${AWS::Partition}`, `${AWS::Region}` and `${AWS::AccountId}` written as {partition}, {region} and
{account}, the placeholders DeployedNames uses, and the cluster's ARN spelled out from its name.
"""
import json
import sys

from cfnlint.decode import decode

template, matches = decode(json.load(open(sys.argv[1])))
if matches:
    raise SystemExit(f"template does not parse: {matches}")


cluster_name = template["Resources"]["Cluster"]["Properties"]["ClusterName"]
pseudo = {"${AWS::Partition}": "{partition}", "${AWS::Region}": "{region}", "${AWS::AccountId}": "{account}"}


def resolve(value):
    if isinstance(value, dict):
        if set(value) == {"Fn::GetAtt"} and value["Fn::GetAtt"] in (["Cluster", "Arn"], "Cluster.Arn"):
            return f"arn:{{partition}}:ecs:{{region}}:{{account}}:cluster/{cluster_name}"
        if set(value) == {"Fn::Sub"} and isinstance(value["Fn::Sub"], str):
            text = value["Fn::Sub"]
            for name, placeholder in pseudo.items():
                text = text.replace(name, placeholder)
            if "${" in text:
                raise SystemExit(f"cannot resolve {value}")
            return text
        return {key: resolve(inner) for key, inner in value.items()}
    if isinstance(value, list):
        return [resolve(inner) for inner in value]
    return value


patterns = {name: resolve(resource["Properties"]["EventPattern"])
            for name, resource in template["Resources"].items()
            if resource["Type"] == "AWS::Events::Rule" and "EventPattern" in resource["Properties"]}
json.dump(patterns, open(sys.argv[2], "w"))
