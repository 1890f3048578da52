"""Validates the served OpenAPI document with openapi-spec-validator.

argv[1]: the document as a JSON string; argv[2] receives {"valid": bool, "error": text or null}.
"""
import json
import sys

import yaml
from openapi_spec_validator import validate

document = yaml.safe_load(json.load(open(sys.argv[1])))
try:
    validate(document)
    result = {"valid": document.get("openapi", "").startswith("3.1"), "error": None if document.get("openapi", "").startswith("3.1") else "not OpenAPI 3.1"}
except Exception as error:  # the validator's errors name the path and the rule
    result = {"valid": False, "error": str(error)}
json.dump(result, open(sys.argv[2], "w"))
