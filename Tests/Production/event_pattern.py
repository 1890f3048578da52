"""EventBridge's event-pattern matching for the forms the template's rules use.

A pattern is a JSON object whose leaves are arrays of alternatives: literal values, or
{"prefix": ...}, {"anything-but": ...}, {"exists": bool}; an event matches when every field of the
pattern matches. An unknown operator raises rather than matching silently.
"""


def _leaf(alternatives, present, value):
    for alternative in alternatives:
        if isinstance(alternative, dict):
            (operator, argument), = alternative.items()
            if operator == "exists":
                if present == bool(argument):
                    return True
            elif not present:
                continue
            elif operator == "prefix":
                if isinstance(value, str) and value.startswith(argument):
                    return True
            elif operator == "anything-but":
                excluded = argument if isinstance(argument, list) else [argument]
                if value not in excluded:
                    return True
            else:
                raise ValueError(f"event pattern operator {operator} is not known to this test")
        elif present:
            values = value if isinstance(value, list) else [value]
            if alternative in values:
                return True
    return False


def matches(pattern, event):
    for key, wanted in pattern.items():
        present = isinstance(event, dict) and key in event
        value = event.get(key) if present else None
        if isinstance(wanted, dict):
            if not present or not isinstance(value, dict) or not matches(wanted, value):
                return False
        elif not _leaf(wanted, present, value):
            return False
    return True
