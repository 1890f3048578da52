"""deploy/wishes.yaml read as CloudFormation would resolve it for one account and region.

Only what the test takes from the template is resolved (environment values, role policies, the
task-state rule); an intrinsic function or attribute it does not know fails loudly, so a change to
the template cannot slip past the test unresolved.
"""
import re

import yaml


class _Loader(yaml.SafeLoader):
    pass


def _intrinsic(loader, suffix, node):
    name = "Ref" if suffix == "Ref" else "Fn::" + suffix
    if isinstance(node, yaml.ScalarNode):
        value = loader.construct_scalar(node)
        if suffix == "GetAtt":
            value = value.split(".", 1)
    elif isinstance(node, yaml.SequenceNode):
        value = loader.construct_sequence(node, deep=True)
    else:
        value = loader.construct_mapping(node, deep=True)
    return {name: value}


_Loader.add_multi_constructor("!", _intrinsic)


class Template:
    def __init__(self, path, *, account, region, parameters=None, physical=None):
        with open(path) as f:
            self.doc = yaml.load(f, Loader=_Loader)
        self.account = account
        self.region = region
        self.partition = "aws"
        self.parameters = {name: spec.get("Default") for name, spec in self.doc.get("Parameters", {}).items()}
        self.parameters.update(parameters or {})
        # Physical ids and attributes the test decides (security groups and the like): {"Logical.Attr": value}.
        self.physical = physical or {}

    def resource(self, logical):
        return self.doc["Resources"][logical]

    def props(self, logical):
        return self.resource(logical).get("Properties", {})

    # --- names CloudFormation gives -------------------------------------------------------------
    def bucket_name(self, logical):
        return self.resolve(self.props(logical)["BucketName"])

    def queue_url(self, logical):
        return f"https://sqs.{self.region}.amazonaws.com/{self.account}/{self.resolve(self.props(logical)['QueueName'])}"

    def ref(self, name):
        pseudo = {"AWS::AccountId": self.account, "AWS::Region": self.region, "AWS::Partition": self.partition,
                  "AWS::URLSuffix": "amazonaws.com", "AWS::NoValue": None}
        if name in pseudo:
            return pseudo[name]
        if name in self.parameters:
            return self.parameters[name]
        if name in self.physical:
            return self.physical[name]
        kind = self.resource(name)["Type"]
        props = self.props(name)
        if kind == "AWS::S3::Bucket":
            return self.bucket_name(name)
        if kind == "AWS::SQS::Queue":
            return self.queue_url(name)
        if kind == "AWS::ECS::Cluster":
            return self.resolve(props["ClusterName"])
        if kind == "AWS::Lambda::Function":
            return self.resolve(props["FunctionName"])
        if kind == "AWS::Logs::LogGroup":
            return self.resolve(props["LogGroupName"])
        if kind == "AWS::SecretsManager::Secret":
            return f"arn:{self.partition}:secretsmanager:{self.region}:{self.account}:secret:{name}-AbCdEf"
        raise KeyError(f"the test does not know what Ref {name} ({kind}) names")

    def get_att(self, name, attribute):
        key = f"{name}.{attribute}"
        if key in self.physical:
            return self.physical[key]
        kind = self.resource(name)["Type"]
        props = self.props(name)
        if attribute == "Arn":
            if kind == "AWS::S3::Bucket":
                return f"arn:{self.partition}:s3:::{self.bucket_name(name)}"
            if kind == "AWS::SQS::Queue":
                return f"arn:{self.partition}:sqs:{self.region}:{self.account}:{self.resolve(props['QueueName'])}"
            if kind == "AWS::ECS::Cluster":
                return f"arn:{self.partition}:ecs:{self.region}:{self.account}:cluster/{self.resolve(props['ClusterName'])}"
            if kind == "AWS::IAM::Role":
                return f"arn:{self.partition}:iam::{self.account}:role/{self.role_name(name)}"
            if kind == "AWS::Logs::LogGroup":
                return f"arn:{self.partition}:logs:{self.region}:{self.account}:log-group:{self.resolve(props['LogGroupName'])}:*"
            if kind == "AWS::Lambda::Function":
                return f"arn:{self.partition}:lambda:{self.region}:{self.account}:function:{self.resolve(props['FunctionName'])}"
            if kind == "AWS::Events::Rule":
                return f"arn:{self.partition}:events:{self.region}:{self.account}:rule/{name}"
        if kind == "AWS::SQS::Queue" and attribute == "QueueName":
            return self.resolve(props["QueueName"])
        raise KeyError(f"the test does not know {name}.{attribute} ({kind})")

    def role_name(self, logical):
        """CloudFormation names a role without RoleName `<stack>-<logical>-<random>`; the test's stack is `wishes`."""
        return self.resolve(self.props(logical).get("RoleName")) or f"wishes-{logical}-TEST"

    def resolve(self, value):
        if isinstance(value, list):
            return [v for v in (self.resolve(item) for item in value) if v is not None]
        if not isinstance(value, dict):
            return value
        if len(value) == 1:
            (name, argument), = value.items()
            if name == "Ref":
                return self.ref(argument)
            if name == "Fn::GetAtt":
                return self.get_att(*argument)
            if name == "Fn::Sub":
                text, names = (argument, {}) if isinstance(argument, str) else (argument[0], self.resolve(argument[1]))

                def substitute(match):
                    token = match.group(1)
                    if token in names:
                        return str(names[token])
                    if "." in token and not token.startswith("AWS::"):
                        return str(self.get_att(*token.split(".", 1)))
                    return str(self.ref(token))
                return re.sub(r"\$\{([^}!]+)\}", substitute, text)
            if name == "Fn::Join":
                separator, items = argument
                return separator.join(str(item) for item in self.resolve(items))
            if name == "Fn::If":
                condition, yes, no = argument
                return self.resolve(yes if self.condition(condition) else no)
        return {key: self.resolve(item) for key, item in value.items()}

    def condition(self, name):
        return self._evaluate(self.doc["Conditions"][name])

    def _evaluate(self, expression):
        (name, argument), = expression.items()
        if name == "Fn::Equals":
            return self.resolve(argument[0]) == self.resolve(argument[1])
        if name == "Fn::Not":
            return not self._evaluate(argument[0])
        if name == "Fn::And":
            return all(self._evaluate(item) for item in argument)
        if name == "Fn::Or":
            return any(self._evaluate(item) for item in argument)
        if name == "Condition":
            return self.condition(argument)
        raise KeyError(f"the test does not know the condition function {name}")

    # --- what the test takes ---------------------------------------------------------------------
    def main_container(self, task_definition):
        """The task's essential container: the wish's own, not the init container that installs CountToThree."""
        containers = self.props(task_definition)["ContainerDefinitions"]
        essential = [c for c in containers if self.resolve(c.get("Essential", True)) not in (False, "false")]
        if len(essential) != 1:
            raise KeyError(f"{task_definition} has {len(essential)} essential containers; the test expects one")
        return essential[0]

    def container_environment(self, task_definition):
        """The essential container's Environment of an ECS task definition, resolved, as a dict."""
        container = self.main_container(task_definition)
        return {item["Name"]: str(self.resolve(item["Value"])) for item in container.get("Environment", [])}

    def container_secrets(self, task_definition):
        container = self.main_container(task_definition)
        return [item["Name"] for item in container.get("Secrets", [])]

    def function_environment(self, function):
        variables = self.props(function).get("Environment", {}).get("Variables", {})
        return {name: str(self.resolve(value)) for name, value in variables.items()}

    def role_policies(self, role):
        """{policy name: policy document} of a role's inline policies, resolved."""
        # resolve() first: a policy behind !If [Condition, policy, !Ref AWS::NoValue] is there or gone.
        return {policy["PolicyName"]: policy["PolicyDocument"] for policy in self.resolve(self.props(role).get("Policies", []))}

    def managed_policy_arns(self, role):
        return self.resolve(self.props(role).get("ManagedPolicyArns", []))

    def event_pattern(self, rule):
        return self.resolve(self.props(rule)["EventPattern"])
