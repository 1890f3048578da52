"""Identity-based policy evaluation for the ECS calls (moto checks SQS and S3 itself).

AWS's order: an explicit Deny wins, then any Allow, else implicit deny. Wildcards `*` and `?` in
actions (case-insensitive) and resources; the condition operators the template uses. An operator this
module does not know raises, so a template change cannot pass unchecked.
"""
import re


def _glob(pattern, value, ignore_case=False):
    regex = "^" + "".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in pattern) + "$"
    return re.match(regex, value, re.IGNORECASE if ignore_case else 0) is not None


def _listed(value):
    return value if isinstance(value, list) else [value]


_OPERATORS = {
    "StringEquals": lambda want, have: want == have,
    "StringNotEquals": lambda want, have: want != have,
    "StringLike": lambda want, have: _glob(want, have),
    "ArnEquals": lambda want, have: want == have,
    "ArnLike": lambda want, have: _glob(want, have),
    "Bool": lambda want, have: str(want).lower() == str(have).lower(),
}


def _condition_holds(condition, context):
    for operator, tests in condition.items():
        if_exists = operator.endswith("IfExists")
        base = operator[: -len("IfExists")] if if_exists else operator
        if base not in _OPERATORS:
            raise ValueError(f"condition operator {operator} is not known to this test")
        for key, wanted in tests.items():
            have = context.get(key)
            if have is None:
                if if_exists:
                    continue
                return False
            negated = base.startswith("StringNot")
            matches = [_OPERATORS[base](want, have) for want in _listed(wanted)]
            if not (all(matches) if negated else any(matches)):
                return False
    return True


def _statement_applies(statement, action, resource, context):
    if "Action" in statement:
        if not any(_glob(pattern, action, ignore_case=True) for pattern in _listed(statement["Action"])):
            return False
    elif "NotAction" in statement:
        if any(_glob(pattern, action, ignore_case=True) for pattern in _listed(statement["NotAction"])):
            return False
    if "Resource" in statement:
        if not any(_glob(pattern, resource) for pattern in _listed(statement["Resource"])):
            return False
    elif "NotResource" in statement:
        if any(_glob(pattern, resource) for pattern in _listed(statement["NotResource"])):
            return False
    return _condition_holds(statement.get("Condition", {}), context)


def evaluate(policies, action, resource, context=None):
    """'Allow', 'ExplicitDeny' or 'ImplicitDeny' for one action on one resource."""
    context = context or {}
    allowed = False
    for document in policies:
        for statement in _listed(document.get("Statement", [])):
            if _statement_applies(statement, action, resource, context):
                if statement.get("Effect") == "Deny":
                    return "ExplicitDeny"
                allowed = True
    return "Allow" if allowed else "ImplicitDeny"
