"""Checks ECS request bodies against botocore's service model, the referee for what ECS accepts.

argv[1]: [{"target": X-Amz-Target, "contentType": ..., "body": JSON text}]; argv[2] receives
[{"operation", "errors"}] where errors is empty when the request is valid.
"""
import json
import sys

import botocore.session
from botocore.validate import ParamValidator

model = botocore.session.get_session().get_service_model("ecs")
prefix = model.metadata["targetPrefix"]
content_type = "application/x-amz-json-" + model.metadata["jsonVersion"]
results = []
for request in json.load(open(sys.argv[1])):
    errors = []
    target_prefix, _, operation = request["target"].partition(".")
    if target_prefix != prefix:
        errors.append(f"X-Amz-Target prefix {target_prefix} is not {prefix}")
    if request["contentType"] != content_type:
        errors.append(f"Content-Type {request['contentType']} is not {content_type}")
    if operation not in model.operation_names:
        errors.append(f"no operation {operation}")
    else:
        report = ParamValidator().validate(json.loads(request["body"]), model.operation_model(operation).input_shape)
        if report.has_errors():
            errors.append(report.generate_report())
    results.append({"operation": operation, "errors": errors})
json.dump(results, open(sys.argv[2], "w"))
