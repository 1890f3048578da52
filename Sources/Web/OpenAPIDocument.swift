/// The OpenAPI 3.1 description of `/api`, served at `/openapi.yaml`.
enum OpenAPIDocument {
    static let yaml = """
    openapi: 3.1.0
    info:
      title: Wishes
      version: 1.0.0
      description: Submit, list, describe and cancel wishes (jobs) that run on ECS Fargate.
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
            '413': {$ref: '#/components/responses/Error'}
            '503': {$ref: '#/components/responses/Error'}
        get:
          operationId: listWishes
          parameters:
            - {name: limit, in: query, schema: {type: integer, minimum: 1, maximum: 100}}
            - {name: status, in: query, schema: {$ref: '#/components/schemas/State'}}
            - {name: after, in: query, schema: {type: string}}
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
                      next: {type: string}
            '400': {$ref: '#/components/responses/Error'}
            '401': {$ref: '#/components/responses/Error'}
      /api/wishes/{id}:
        get:
          operationId: describeWish
          parameters: [{$ref: '#/components/parameters/Id'}]
          responses:
            '200': {description: The wish, content: {application/json: {schema: {$ref: '#/components/schemas/Wish'}}}}
            '401': {$ref: '#/components/responses/Error'}
            '404': {$ref: '#/components/responses/Error'}
      /api/wishes/{id}/output:
        get:
          operationId: wishOutput
          parameters:
            - {$ref: '#/components/parameters/Id'}
            - {name: attempt, in: query, schema: {type: integer, minimum: 1}}
          responses:
            '200': {description: The kept output, content: {application/octet-stream: {schema: {type: string}}}}
            '401': {$ref: '#/components/responses/Error'}
            '404': {$ref: '#/components/responses/Error'}
      /api/wishes/{id}/cancel:
        post:
          operationId: cancelWish
          parameters: [{$ref: '#/components/parameters/Id'}]
          responses:
            '202': {description: Cancelled or being stopped, content: {application/json: {schema: {$ref: '#/components/schemas/Wish'}}}}
            '401': {$ref: '#/components/responses/Error'}
            '404': {$ref: '#/components/responses/Error'}
    components:
      parameters:
        Id: {name: id, in: path, required: true, schema: {type: string}}
      responses:
        Error:
          description: What went wrong, with every problem named
          content:
            application/json:
              schema:
                type: object
                required: [error, message]
                properties:
                  error: {type: string}
                  message: {type: string}
                  problems:
                    type: array
                    items: {type: object, required: [field, rule], properties: {field: {type: string}, rule: {type: string}}}
      schemas:
        State: {type: string, enum: [SUBMITTED, PENDING, RUNNABLE, STARTING, RUNNING, SUCCEEDED, FAILED]}
        WishSpec:
          type: object
          additionalProperties: false
          properties:
            wish: {type: string, maxLength: 1000}
            name: {type: string, maxLength: 128, pattern: '^[A-Za-z0-9_-]+$'}
            command: {type: array, items: {type: string, minLength: 1}, minItems: 1}
            environment: {type: array, items: {type: object, required: [name], properties: {name: {type: string}, value: {type: string}}}}
            vcpus: {type: number}
            memory: {type: integer}
            queue: {type: string, enum: [default, asap, default-uninterruptible, asap-uninterruptible]}
            attempts: {type: integer, minimum: 1, maximum: 10}
            timeoutSeconds: {type: integer, minimum: 60}
            arraySize: {type: integer, minimum: 2, maximum: 10000}
            dependsOn: {type: array, maxItems: 20, items: {type: string}}
            notBefore: {type: string, format: date-time}
            callbackUrl: {type: string, format: uri}
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
    """
}
