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
            Submit, list, describe and cancel wishes (jobs) that run on ECS Fargate, and register the job definitions
            (AWS Batch's: named, revisioned templates) that wishes may run. Every call needs
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
          /api/wishes/{id}/children/{index}:
            get:
              operationId: describeWishChild
              description: One child of an array wish (the parent's id, its index), with its own attempts and results.
              parameters: [{$ref: '#/components/parameters/Id'}, {$ref: '#/components/parameters/Index'}]
              responses:
                '200': {description: The child, content: {application/json: {schema: {$ref: '#/components/schemas/Wish'}}}}
                '401': {$ref: '#/components/responses/Error'}
                '404': {description: 'No such wish, the wish is no array, or the index is past its arraySize (error not_found)', content: {application/json: {schema: {$ref: '#/components/schemas/Error'}}}}
                '421': {$ref: '#/components/responses/Misdirected'}
          /api/wishes/{id}/children/{index}/output:
            get:
              operationId: wishChildOutput
              parameters:
                - {$ref: '#/components/parameters/Id'}
                - {$ref: '#/components/parameters/Index'}
                - {name: attempt, in: query, description: 'Its last attempt when left out', schema: {type: integer, minimum: 1}}
              responses:
                '200': {description: The child's kept output, content: {application/octet-stream: {schema: {type: string}}}}
                '400': {$ref: '#/components/responses/Error'}
                '401': {$ref: '#/components/responses/Error'}
                '404': {$ref: '#/components/responses/Error'}
                '421': {$ref: '#/components/responses/Misdirected'}
          /api/job-definitions:
            post:
              operationId: registerJobDefinition
              description: >-
                Registers a revision of a job definition: 1 for a new name, one more than the name's last revision
                otherwise (AWS Batch's RegisterJobDefinition). Every problem of the body is named in one 400.
              requestBody:
                required: true
                content:
                  application/json:
                    schema: {$ref: '#/components/schemas/JobDefinitionRequest'}
              responses:
                '201':
                  description: Registered
                  headers:
                    Location: {description: '/api/job-definitions/{name}:{revision}', schema: {type: string}}
                  content: {application/json: {schema: {$ref: '#/components/schemas/JobDefinition'}}}
                '400': {description: 'A bad body (error invalid_job_definition, each bad field in problems)', content: {application/json: {schema: {$ref: '#/components/schemas/Error'}}}}
                '401': {$ref: '#/components/responses/Error'}
                '403': {$ref: '#/components/responses/CrossSite'}
                '409': {description: 'Other registrations of the name kept taking the next revision first: register again (error contended)', content: {application/json: {schema: {$ref: '#/components/schemas/Error'}}}}
                '413': {$ref: '#/components/responses/Error'}
                '415': {$ref: '#/components/responses/UnsupportedMediaType'}
                '421': {$ref: '#/components/responses/Misdirected'}
            get:
              operationId: listJobDefinitions
              description: Every revision of every definition (the built-in count-to-three:1 first), by name then revision, at most \(JobDefinitionStore.maxListed.formatted(.number.grouping(.never))).
              parameters:
                - {name: status, in: query, schema: {$ref: '#/components/schemas/JobDefinitionStatus'}}
                - {name: name, in: query, description: 'Only the revisions of this name', schema: {$ref: '#/components/schemas/JobDefinitionName'}}
              responses:
                '200':
                  description: The definitions
                  content:
                    application/json:
                      schema:
                        type: object
                        required: [jobDefinitions]
                        properties:
                          jobDefinitions: {type: array, items: {$ref: '#/components/schemas/JobDefinition'}}
                '400': {description: 'A status that is neither ACTIVE nor INACTIVE (invalid_status), or a name no definition could have (invalid_name)', content: {application/json: {schema: {$ref: '#/components/schemas/Error'}}}}
                '401': {$ref: '#/components/responses/Error'}
                '421': {$ref: '#/components/responses/Misdirected'}
          /api/job-definitions/{reference}:
            parameters: [{$ref: '#/components/parameters/JobDefinitionReference'}]
            get:
              operationId: describeJobDefinition
              description: A revision (name:revision, whatever its status) or the name's latest ACTIVE revision (name alone).
              responses:
                '200': {description: The definition, content: {application/json: {schema: {$ref: '#/components/schemas/JobDefinition'}}}}
                '401': {$ref: '#/components/responses/Error'}
                '404': {description: 'No such revision, no ACTIVE revision of the name, or no reference at all (error not_found)', content: {application/json: {schema: {$ref: '#/components/schemas/Error'}}}}
                '421': {$ref: '#/components/responses/Misdirected'}
            delete:
              operationId: deregisterJobDefinition
              parameters: [{$ref: '#/components/parameters/JobDefinitionRevision'}]
              description: >-
                Deregisters one revision (name:revision): it becomes INACTIVE, stays readable here and in the list, and a
                wish that names it gets 400. Deregistering an INACTIVE revision again answers the same.
              responses:
                '200': {description: 'The revision, now INACTIVE', content: {application/json: {schema: {$ref: '#/components/schemas/JobDefinition'}}}}
                '400': {description: 'The reference names no revision (error revision_required), or names the built-in definition, which stays (built_in)', content: {application/json: {schema: {$ref: '#/components/schemas/Error'}}}}
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
            Index: {name: index, in: path, required: true, description: 'A child of an array wish, from 0 to arraySize - 1', schema: {type: integer, minimum: 0}}
            JobDefinitionReference:
              name: reference
              in: path
              required: true
              description: 'name (its latest ACTIVE revision) or name:revision; the colon may be sent as %3A'
              schema: {type: string, pattern: '^[A-Za-z0-9_-]{1,128}(:[0-9]+)?$'}
            JobDefinitionRevision:
              name: reference
              in: path
              required: true
              description: 'name:revision: one revision is deregistered at a time'
              schema: {type: string, pattern: '^[A-Za-z0-9_-]{1,128}:[0-9]+$'}
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
            Command:
              type: array
              description: >-
                argv, run without a shell. An argument that is exactly Ref::NAME becomes the value of parameter NAME
                (AWS Batch's substitution: whole arguments only; one naming no parameter stays as written).
              items: {type: string, minLength: 1}
              minItems: 1
              maxItems: 100
            Environment:
              type: array
              maxItems: 100
              items:
                type: object
                additionalProperties: false
                required: [name, value]
                properties:
                  name: {type: string, maxLength: 256, pattern: '^[A-Za-z_][A-Za-z0-9_]*$'}
                  value: {type: string}
            Parameters:
              type: object
              description: >-
                Values for the command's Ref::NAME placeholders: strings of at most \(WishSpec.maxParameterValueLength) characters
                without NUL, which the server checks (a body is at most \(WebApp.maxBody) bytes in all)
              maxProperties: \(WishSpec.maxParameters)
              propertyNames: {minLength: 1, maxLength: 128, pattern: '^[A-Za-z0-9_-]+$'}
              additionalProperties: {type: string}
            VCPUs: {type: number, enum: [0.25, 0.5, 1, 2, 4, 8, 16]}
            Memory: {type: integer, minimum: 512, maximum: 122880, description: MiB; a Fargate size for the vCPUs}
            Attempts: {type: integer, minimum: 1, maximum: 10}
            JobRoleArn:
              type: string
              maxLength: 2048
              pattern: '^arn:aws(-[a-z]+)*:iam::[0-9]{12}:role/'
              description: >-
                The IAM role whose temporary keys the command gets, served to it alone as ECS serves a task role
                (AWS_CONTAINER_CREDENTIALS_FULL_URI and AWS_CONTAINER_AUTHORIZATION_TOKEN); without one the command has no AWS
                credentials. A wish must name one of the stack's job roles (WISHES_JOB_ROLE_ARNS; \(limits.jobRoleArns.isEmpty ? "none here" : "\(limits.jobRoleArns.count) here")).
            EvaluateOnExit:
              type: array
              maxItems: 5
              description: AWS Batch's retryStrategy.evaluateOnExit; the first rule that matches a failed attempt decides
              items:
                type: object
                additionalProperties: false
                required: [action]
                properties:
                  action: {type: string, enum: [RETRY, EXIT, retry, exit]}
                  onExitCode: {type: string, minLength: 1, maxLength: 512, description: 'An exit code, or its first digits and *'}
                  onReason: {type: string, minLength: 1, maxLength: 512}
                  onStatusReason: {type: string, minLength: 1, maxLength: 512}
            Dependency:
              description: >-
                A wish id (it must succeed first), or AWS Batch's object form. For an array wish, type N_TO_N makes child i
                wait for child i of jobId (an array of the same size) and SEQUENTIAL (no jobId) makes child i wait for
                child i - 1 of this array (once at most); a plain wish takes neither. A wish id is named once.
              oneOf:
                - {$ref: '#/components/schemas/WishId'}
                - type: object
                  additionalProperties: false
                  properties:
                    jobId: {$ref: '#/components/schemas/WishId'}
                    type: {type: string, enum: [N_TO_N, SEQUENTIAL]}
            JobDefinitionName: {type: string, minLength: 1, maxLength: 128, pattern: '^[A-Za-z0-9_-]+$'}
            JobDefinitionStatus:
              type: string
              enum: [ACTIVE, INACTIVE]
              description: INACTIVE is deregistered, still readable, and no longer usable by a new wish
            WishSpec:
              type: object
              additionalProperties: false
              description: >-
                A wish names `wish` text, a `command`, a `jobDefinition` whose command it runs, or more than one. Rules that
                span fields are checked by the server and answered with 400 naming each problem: memory must be a Fargate size
                for the vCPUs (0.25 vCPU: 512-2048 MiB; 16 vCPU: 32-120 GiB), notBefore within a year, command and environment
                within 6 KiB (ECS allows 8 KiB of overrides in all), environment names not given twice nor starting with
                WISH_, AWS_BATCH_ or ECS_, every dependsOn id a wish that exists, and vcpus × arraySize (1 without an array) at
                most \(limits.maxArrayVCPUs.formatted(.number.grouping(.never))). A wish without timeoutSeconds gets \(limits.defaultTimeoutSeconds).
                With a jobDefinition, every field the wish leaves out is the definition's: its environment is laid over the
                definition's by name and its parameters over the definition's defaults, then Ref:: placeholders are filled.
              anyOf:
                - {required: [wish]}
                - {required: [command]}
                - {required: [jobDefinition]}
              properties:
                wish: {type: string, maxLength: 1000, description: 'Left out, empty or blank: the command as a shell would read it, or "Count to three" without one.'}
                name: {type: string, maxLength: 128, pattern: '^[A-Za-z0-9_-]+$'}
                jobDefinition:
                  type: string
                  pattern: '^(arn:[^/]*/)?[A-Za-z0-9_-]{1,128}(:[0-9]+)?$'
                  description: >-
                    The job definition to run: name (its latest ACTIVE revision), name:revision, or a Batch ARN ending in
                    job-definition/name:revision. One that does not exist, or is INACTIVE, gets 400 naming jobDefinition. Left
                    out: the built-in count-to-three:1, which counts to three unless the wish gives a command. The definition's
                    image is the one the command runs in; a wish cannot choose another.
                command: {$ref: '#/components/schemas/Command'}
                parameters: {$ref: '#/components/schemas/Parameters'}
                environment: {$ref: '#/components/schemas/Environment'}
                vcpus: {$ref: '#/components/schemas/VCPUs'}
                memory: {$ref: '#/components/schemas/Memory'}
                queue: {type: string, enum: [default, asap, default-uninterruptible, asap-uninterruptible]}
                attempts: {$ref: '#/components/schemas/Attempts'}
                timeoutSeconds: {type: integer, minimum: 60, maximum: \(limits.maxTimeoutSeconds)}
                arraySize: {type: integer, minimum: 2, maximum: 10000}
                dependsOn: {type: array, maxItems: 20, uniqueItems: true, items: {$ref: '#/components/schemas/Dependency'}}
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
                jobRoleArn: {$ref: '#/components/schemas/JobRoleArn'}
                evaluateOnExit: {$ref: '#/components/schemas/EvaluateOnExit'}
            Wish:
              type: object
              required: [id, state, spec, attempts, jobDefinition]
              properties:
                id: {type: string, description: 'The wish''s id (an array child''s is its parent''s)'}
                state: {$ref: '#/components/schemas/State'}
                statusReason: {type: string}
                createdAt: {type: string, format: date-time}
                updatedAt: {type: string, format: date-time}
                jobDefinition: {type: string, description: 'The definition it runs, name:revision (count-to-three:1 when it named none)'}
                spec:
                  type: object
                  description: >-
                    What runs, as stored: the wish's fields merged with its definition's, Ref:: placeholders filled, the
                    default timeout set, and the environment's names without their values
                  properties:
                    command: {type: array, items: {type: string}}
                    environment: {type: array, items: {type: object, required: [name], properties: {name: {type: string}}}}
                    parameters: {type: object, additionalProperties: {type: string}, description: 'The values that filled Ref:: placeholders: the definition''s defaults under the wish''s own'}
                    jobDefinition: {type: string, description: 'name:revision; absent for the built-in definition'}
                    image: {type: string, description: 'The definition''s container image; absent for Wishes'' own'}
                    vcpus: {type: number}
                    memory: {type: integer}
                    attempts: {type: integer}
                    timeoutSeconds: {type: integer}
                attempts: {type: array, items: {type: object}}
                results: {type: object}
                children: {type: object, additionalProperties: {type: integer}, description: 'An array wish''s children by state'}
                logs:
                  type: object
                  description: Each launched attempt's CloudWatch log stream, by attempt number
                  additionalProperties:
                    type: object
                    required: [group, stream, url]
                    properties:
                      group: {type: string}
                      stream: {type: string}
                      url: {type: string}
                callback:
                  type: object
                  description: The callback's delivery, once the wish has ended
                  properties:
                    state: {type: string, enum: [PENDING, DELIVERED, ABANDONED]}
                    tries: {type: integer}
                    httpStatus: {type: integer}
                    reason: {type: string}
                    at: {type: string, format: date-time}
            JobDefinitionRequest:
              type: object
              additionalProperties: false
              required: [name, image]
              description: >-
                The fields a definition shares with a wish are checked by the wish's rules (the Fargate size, the 6 KiB of
                command and environment, reserved environment names), and every problem is named in one 400. Only the
                fields given are kept: the others stay each wish's to choose, or the wish's defaults.
              properties:
                name:
                  allOf: [{$ref: '#/components/schemas/JobDefinitionName'}]
                  description: '1 to 128 of A-Z, a-z, 0-9, _ and -; registering a name again makes its next revision. count-to-three is the built-in''s.'
                image:
                  type: string
                  minLength: 1
                  maxLength: \(JobDefinition.maxImageLength)
                  pattern: '^[a-z0-9][A-Za-z0-9./:_@-]*$'
                  description: 'A container image as ECS takes it, [registry/]repository[:tag][@sha256:digest], the repository lower case'
                command: {$ref: '#/components/schemas/Command'}
                parameters: {$ref: '#/components/schemas/Parameters'}
                environment:
                  allOf: [{$ref: '#/components/schemas/Environment'}]
                  description: 'Shown by describe and list, values included, as Batch shows them: a secret belongs in the wish''s own environment'
                vcpus: {$ref: '#/components/schemas/VCPUs'}
                memory: {$ref: '#/components/schemas/Memory'}
                attempts: {$ref: '#/components/schemas/Attempts'}
                evaluateOnExit: {$ref: '#/components/schemas/EvaluateOnExit'}
                timeoutSeconds: {type: integer, minimum: 60, maximum: \(WishSpec.maxTimeoutSeconds)}
                jobRoleArn: {$ref: '#/components/schemas/JobRoleArn'}
            JobDefinition:
              type: object
              required: [name, revision, status, registeredAt]
              properties:
                name: {type: string}
                revision: {type: integer, minimum: 1}
                status: {$ref: '#/components/schemas/JobDefinitionStatus'}
                image: {type: string, description: 'Absent for the built-in definition, which runs in Wishes'' own image'}
                command: {type: array, items: {type: string}}
                parameters: {type: object, additionalProperties: {type: string}}
                environment: {type: array, items: {type: object, required: [name, value], properties: {name: {type: string}, value: {type: string}}}}
                vcpus: {type: number}
                memory: {type: integer}
                attempts: {type: integer}
                evaluateOnExit: {type: array, items: {type: object}}
                timeoutSeconds: {type: integer}
                jobRoleArn: {type: string}
                registeredAt: {type: string, format: date-time}
                deregisteredAt: {type: string, format: date-time, description: When it became INACTIVE}
        """
    }
}
