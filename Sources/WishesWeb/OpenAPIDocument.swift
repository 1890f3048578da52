import Foundation
import Wishes

/// The OpenAPI 3.1 description of `/api`, served at `/openapi.yaml`, with the limits this web
/// runs with (`WishLimits`), so the document and the answers agree.
enum OpenAPIDocument {
    static func yaml(limits: WishLimits) -> String {
        """
        openapi: 3.1.0
        info:
          title: Wishes
          version: 1.0.0
          description: >-
            Submit, list, describe and cancel wishes (jobs) that run on ECS Fargate. Every call needs
            `Authorization: Bearer <token>` when the web has a token (basic auth and cookies are for the pages only);
            bodies are `application/json` only. A `Host` that does not name this web gets 421, and a POST that a browser
            sends from another site (`Origin`, `Sec-Fetch-Site`) gets 403.
        security:
          - bearer: []
        paths:
          /api/wishes:
            post:
              operationId: submitWish
              parameters:
                - {name: Idempotency-Key, in: header, required: false, schema: {type: string, minLength: 1, maxLength: 255}}
              requestBody:
                required: true
                content:
                  application/json:
                    schema: {$ref: '#/components/schemas/WishSpec'}
              responses:
                '202': {description: Accepted and queued, content: {application/json: {schema: {$ref: '#/components/schemas/Wish'}}}}
                '400': {$ref: '#/components/responses/Error'}
                '401': {$ref: '#/components/responses/Error'}
                '403': {$ref: '#/components/responses/CrossSite'}
                '413': {$ref: '#/components/responses/Error'}
                '415': {$ref: '#/components/responses/UnsupportedMediaType'}
                '421': {$ref: '#/components/responses/Misdirected'}
                '422': {description: 'The Idempotency-Key was first used with a different body (error idempotency_key_reused)', content: {application/json: {schema: {$ref: '#/components/schemas/Error'}}}}
                '503': {$ref: '#/components/responses/Error'}
            get:
              operationId: listWishes
              parameters:
                - {name: limit, in: query, schema: {type: integer, minimum: 1, maximum: 100}}
                - {name: status, in: query, schema: {$ref: '#/components/schemas/State'}}
                - {name: after, in: query, schema: {$ref: '#/components/schemas/WishId'}}
              responses:
                '200':
                  description: Newest first
                  content:
                    application/json:
                      schema:
                        type: object
                        required: [wishes]
                        properties:
                          wishes: {type: array, items: {$ref: '#/components/schemas/Wish'}}
                          next: {type: string, description: 'Pass as after for the next page. A page filtered by status may hold fewer wishes than limit, even none, and still have a next.'}
                '400': {$ref: '#/components/responses/Error'}
                '401': {$ref: '#/components/responses/Error'}
                '421': {$ref: '#/components/responses/Misdirected'}
          /api/wishes/{id}:
            get:
              operationId: describeWish
              parameters: [{$ref: '#/components/parameters/Id'}]
              responses:
                '200': {description: The wish, content: {application/json: {schema: {$ref: '#/components/schemas/Wish'}}}}
                '401': {$ref: '#/components/responses/Error'}
                '404': {$ref: '#/components/responses/Error'}
                '421': {$ref: '#/components/responses/Misdirected'}
          /api/wishes/{id}/output:
            get:
              operationId: wishOutput
              parameters:
                - {$ref: '#/components/parameters/Id'}
                - {name: attempt, in: query, schema: {type: integer, minimum: 1}}
              responses:
                '200': {description: The kept output, content: {application/octet-stream: {schema: {type: string}}}}
                '400': {$ref: '#/components/responses/Error'}
                '401': {$ref: '#/components/responses/Error'}
                '404': {$ref: '#/components/responses/Error'}
                '421': {$ref: '#/components/responses/Misdirected'}
          /api/wishes/{id}/cancel:
            post:
              operationId: cancelWish
              parameters: [{$ref: '#/components/parameters/Id'}]
              responses:
                '202': {description: Cancelled or being stopped, content: {application/json: {schema: {$ref: '#/components/schemas/Wish'}}}}
                '401': {$ref: '#/components/responses/Error'}
                '403': {$ref: '#/components/responses/CrossSite'}
                '404': {$ref: '#/components/responses/Error'}
                '415': {$ref: '#/components/responses/UnsupportedMediaType'}
                '421': {$ref: '#/components/responses/Misdirected'}
        components:
          securitySchemes:
            bearer: {type: http, scheme: bearer, description: 'The web''s WISHES_API_TOKEN'}
          parameters:
            Id: {name: id, in: path, required: true, schema: {type: string}}
          responses:
            Error:
              description: What went wrong, with every problem named
              content: {application/json: {schema: {$ref: '#/components/schemas/Error'}}}
            CrossSite:
              description: 'A browser sent it from another site: Origin is not this web''s, or Sec-Fetch-Site is cross-site or same-site (error cross_site_request)'
              content: {application/json: {schema: {$ref: '#/components/schemas/Error'}}}
            UnsupportedMediaType:
              description: 'A body that is not application/json, or a charset other than UTF-8 (error unsupported_media_type)'
              content: {application/json: {schema: {$ref: '#/components/schemas/Error'}}}
            Misdirected:
              description: 'The Host header names neither a loopback name nor one of WISHES_WEB_ALLOWED_HOSTS (error misdirected_request)'
              content: {application/json: {schema: {$ref: '#/components/schemas/Error'}}}
          schemas:
            Error:
              type: object
              required: [error, message]
              properties:
                error: {type: string}
                message: {type: string}
                awsError: {type: string, description: "AWS's error code when AWS refused the call (503 not_queued), e.g. ExpiredToken"}
                problems:
                  type: array
                  items: {type: object, required: [field, rule], properties: {field: {type: string}, rule: {type: string}}}
            State: {type: string, enum: [SUBMITTED, PENDING, RUNNABLE, STARTING, RUNNING, SUCCEEDED, FAILED]}
            WishId: {type: string, pattern: '^[0-7][0-9A-HJKMNP-TV-Za-hjkmnp-tv-z]{25}$', description: 'A ULID: time-ordered, case-insensitive'}
            WishSpec:
              type: object
              additionalProperties: false
              description: >-
                A wish names `wish` text, a `command`, or both. Rules that span fields are checked by the server and
                answered with 400 naming each problem: memory must be a Fargate size for the vCPUs (0.25 vCPU: 512-2048 MiB;
                16 vCPU: 32-120 GiB), notBefore within a year, command and environment within 6 KiB (ECS allows 8 KiB
                of overrides in all), environment names not given twice nor starting with WISH_, AWS_BATCH_ or ECS_,
                every dependsOn id a wish that exists, and vcpus × arraySize (1 without an array) at most \(limits.maxArrayVCPUs.formatted(.number.grouping(.never))).
                A wish without timeoutSeconds gets \(limits.defaultTimeoutSeconds).
              anyOf:
                - {required: [wish]}
                - {required: [command]}
              properties:
                wish: {type: string, maxLength: 1000, description: 'Left out, empty or blank: the command as a shell would read it, or "Count to three" without one.'}
                name: {type: string, maxLength: 128, pattern: '^[A-Za-z0-9_-]+$'}
                command: {type: array, items: {type: string, minLength: 1}, minItems: 1, maxItems: 100}
                environment: {type: array, maxItems: 100, items: {type: object, additionalProperties: false, required: [name, value], properties: {name: {type: string, maxLength: 256, pattern: '^[A-Za-z_][A-Za-z0-9_]*$'}, value: {type: string}}}}
                vcpus: {type: number, enum: [0.25, 0.5, 1, 2, 4, 8, 16]}
                memory: {type: integer, minimum: 512, maximum: 122880}
                queue: {type: string, enum: [default, asap, default-uninterruptible, asap-uninterruptible]}
                attempts: {type: integer, minimum: 1, maximum: 10}
                timeoutSeconds: {type: integer, minimum: 60, maximum: \(limits.maxTimeoutSeconds)}
                arraySize: {type: integer, minimum: 2, maximum: 10000}
                dependsOn: {type: array, maxItems: 20, uniqueItems: true, items: {$ref: '#/components/schemas/WishId'}}
                notBefore: {type: string, format: date-time}
                callbackUrl:
                  type: string
                  format: uri
                  maxLength: 2048
                  pattern: '^https?://[^/?#@]+'
                  description: >-
                    POSTed the wish's final status once it ends (cancelled included), signed as Standard Webhooks sign
                    (webhook-id, webhook-timestamp, webhook-signature: v1,base64 HMAC-SHA256 of "id.timestamp.body" with the
                    stack's signing secret). https only, to a public address: loopback, private, link-local, metadata,
                    multicast and reserved addresses are refused in every spelling, here when written as an address and at
                    send time for what a name resolves to. Tries follow a backoff over about a day until a 2xx; no redirect is followed.
                jobRoleArn:
                  type: string
                  maxLength: 2048
                  pattern: '^arn:aws(-[a-z]+)*:iam::[0-9]{12}:role/'
                  description: >-
                    The IAM role whose temporary keys the command gets, served to it alone as ECS serves a task role
                    (AWS_CONTAINER_CREDENTIALS_FULL_URI and AWS_CONTAINER_AUTHORIZATION_TOKEN); without one the command has no AWS
                    credentials. It must be one of the stack's job roles (WISHES_JOB_ROLE_ARNS; \(limits.jobRoleArns.isEmpty ? "none here" : "\(limits.jobRoleArns.count) here")).
                evaluateOnExit:
                  type: array
                  maxItems: 5
                  items:
                    type: object
                    required: [action]
                    properties:
                      action: {type: string, enum: [RETRY, EXIT, retry, exit]}
                      onExitCode: {type: string}
                      onReason: {type: string}
                      onStatusReason: {type: string}
            Wish:
              type: object
              required: [id, state, spec, attempts]
              properties:
                id: {type: string}
                state: {$ref: '#/components/schemas/State'}
                statusReason: {type: string}
                createdAt: {type: string, format: date-time}
                updatedAt: {type: string, format: date-time}
                spec: {type: object}
                attempts: {type: array, items: {type: object}}
                results: {type: object}
                children: {type: object}
                callback:
                  type: object
                  description: The callback's delivery, once the wish has ended
                  properties:
                    state: {type: string, enum: [PENDING, DELIVERED, ABANDONED]}
                    tries: {type: integer}
                    httpStatus: {type: integer}
                    reason: {type: string}
                    at: {type: string, format: date-time}
        """
    }
}
