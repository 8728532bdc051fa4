"""The OpenAPI 3 document of one endpoint version: its invoke request with the real parameter types,
so clients can be generated for it."""

from __future__ import annotations

from typing import Any

from endpoints.models import EndpointVersion

JSON_TYPES = {"string": "string", "integer": "integer", "number": "number", "boolean": "boolean"}


def parameter_schema(parameter: dict[str, Any]) -> dict[str, Any]:
    """The JSON Schema of one value parameter."""
    schema: dict[str, Any] = {"type": JSON_TYPES[parameter["type"]]}
    if parameter.get("description"):
        schema["description"] = parameter["description"]
    if parameter.get("default") is not None:
        schema["default"] = parameter["default"]
    if parameter.get("optional"):
        schema["nullable"] = True
    if "min" in parameter:
        schema["minimum"] = parameter["min"]
    if "max" in parameter:
        schema["maximum"] = parameter["max"]
    if parameter.get("enum"):
        schema["enum"] = list(parameter["enum"])
    return schema


def data_schema(parameter: dict[str, Any]) -> dict[str, Any]:
    """The JSON Schema of one data input assignment."""
    description = f"{parameter['type']} data (default: {parameter['default']})"
    if parameter.get("description"):
        description = f"{parameter['description']}. {description}"
    return {
        "description": description,
        "oneOf": [
            {"$ref": "#/components/schemas/DataAssetReference"},
            {"$ref": "#/components/schemas/ServerPath"},
            {"type": "string", "description": "azureml:NAME:VERSION, NAME@latest, a URL or a server path"},
        ],
    }


def invoke_request_schema(parameters: list[dict[str, Any]]) -> dict[str, Any]:
    values = [p for p in parameters if p["kind"] == "value"]
    data = [p for p in parameters if p["kind"] == "data"]
    assignments: dict[str, Any] = {
        "type": "object",
        "additionalProperties": False,
        "properties": {p["name"]: parameter_schema(p) for p in values},
    }
    required = [p["name"] for p in values if p.get("required")]
    if required:
        assignments["required"] = required
    return {
        "type": "object",
        "additionalProperties": False,
        "properties": {
            "ExperimentName": {"type": "string", "maxLength": 255, "description": "Experiment the run joins"},
            "ParameterAssignments": assignments,
            "DataPathAssignments": {
                "type": "object",
                "additionalProperties": False,
                "properties": {p["name"]: data_schema(p) for p in data},
            },
            "Description": {"type": "string"},
            "Tags": {"type": "object", "additionalProperties": {"type": "string"}},
        },
        **({"required": ["ParameterAssignments"]} if required else {}),
    }


def _problems_response(description: str) -> dict[str, Any]:
    return {
        "description": description,
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
    }


def endpoint_document(version: EndpointVersion, *, base_url: str) -> dict[str, Any]:
    """The OpenAPI 3.0 document for invoking `version` of its endpoint."""
    endpoint = version.endpoint
    runs = f"/api/v1/endpoints/{endpoint.name}/runs"
    version_query = {
        "name": "version",
        "in": "query",
        "required": False,
        "description": f"Run this version instead of the default ({endpoint.default_version})",
        "schema": {"type": "integer", "minimum": 1},
    }
    run_id = {"name": "id", "in": "path", "required": True, "schema": {"type": "string"}}
    unauthorized = _problems_response("Missing or invalid key")
    return {
        "openapi": "3.0.3",
        "info": {
            "title": f"Studio pipeline endpoint {endpoint.name}",
            "version": str(version.number),
            "description": endpoint.description
            or version.description
            or f"Runs the pipeline {endpoint.name}.",
        },
        "servers": [{"url": base_url}],
        "security": [{"bearerAuth": []}],
        "paths": {
            runs: {
                "post": {
                    "operationId": "invoke",
                    "summary": f"Run {endpoint.name}",
                    "parameters": [
                        version_query,
                        {
                            "name": "Idempotency-Key",
                            "in": "header",
                            "required": False,
                            "description": "A repeat with the same key within 24 hours returns the first run",
                            "schema": {"type": "string", "maxLength": 255},
                        },
                    ],
                    "requestBody": {
                        "required": True,
                        "content": {
                            "application/json": {"schema": {"$ref": "#/components/schemas/InvokeRequest"}}
                        },
                    },
                    "responses": {
                        "201": {
                            "description": "The run was queued",
                            "content": {
                                "application/json": {"schema": {"$ref": "#/components/schemas/RunCreated"}}
                            },
                        },
                        "200": {
                            "description": "The run an earlier request with this Idempotency-Key started",
                            "content": {
                                "application/json": {"schema": {"$ref": "#/components/schemas/RunCreated"}}
                            },
                        },
                        "400": _problems_response("The body has problems; each is listed by field"),
                        "401": unauthorized,
                        "409": _problems_response("The endpoint is disabled"),
                        "422": _problems_response("The Idempotency-Key was used with a different body"),
                        "429": _problems_response("Too many invocations of this endpoint"),
                    },
                }
            },
            f"{runs}/{{id}}": {
                "get": {
                    "operationId": "getRun",
                    "summary": "Status of a run and its steps",
                    "parameters": [run_id],
                    "responses": {
                        "200": {
                            "description": "The run",
                            "content": {
                                "application/json": {"schema": {"$ref": "#/components/schemas/RunStatus"}}
                            },
                        },
                        "401": unauthorized,
                        "404": _problems_response("No such run of this endpoint"),
                    },
                }
            },
            f"{runs}/{{id}}/cancel": {
                "post": {
                    "operationId": "cancelRun",
                    "summary": "Stop a run",
                    "parameters": [run_id],
                    "responses": {
                        "202": {
                            "description": "Cancel requested",
                            "content": {
                                "application/json": {"schema": {"$ref": "#/components/schemas/RunStatus"}}
                            },
                        },
                        "401": unauthorized,
                        "404": _problems_response("No such run of this endpoint"),
                        "409": _problems_response("The run had already ended"),
                    },
                }
            },
        },
        "components": {
            "securitySchemes": {
                "bearerAuth": {
                    "type": "http",
                    "scheme": "bearer",
                    "description": "A key of this endpoint (sep_…) or a Studio API token (stu_…)",
                }
            },
            "schemas": {
                "InvokeRequest": invoke_request_schema(version.parameters),
                "DataAssetReference": {
                    "type": "object",
                    "additionalProperties": False,
                    "required": ["DataAssetName"],
                    "properties": {"DataAssetName": {"type": "string"}, "Version": {"type": "string"}},
                },
                "ServerPath": {
                    "type": "object",
                    "additionalProperties": False,
                    "required": ["Path"],
                    "properties": {"Path": {"type": "string", "description": "Under STUDIO_DATA_ROOTS"}},
                },
                "RunCreated": {
                    "type": "object",
                    "required": ["Id", "Status", "Url", "StatusUrl"],
                    "properties": {
                        "Id": {"type": "string"},
                        "Status": {"type": "string"},
                        "Url": {"type": "string", "format": "uri"},
                        "StatusUrl": {"type": "string", "format": "uri"},
                    },
                },
                "RunStatus": {
                    "type": "object",
                    "properties": {
                        "Id": {"type": "string"},
                        "Status": {"type": "string"},
                        "StatusReason": {"type": "string"},
                        "Version": {"type": "integer"},
                        "Parameters": {"type": "object"},
                        "CreatedAt": {"type": "string", "format": "date-time"},
                        "StartedAt": {"type": "string", "format": "date-time", "nullable": True},
                        "FinishedAt": {"type": "string", "format": "date-time", "nullable": True},
                        "Url": {"type": "string", "format": "uri"},
                        "Steps": {
                            "type": "array",
                            "items": {
                                "type": "object",
                                "properties": {
                                    "Name": {"type": "string"},
                                    "DisplayName": {"type": "string"},
                                    "Status": {"type": "string"},
                                    "Reused": {"type": "boolean"},
                                },
                            },
                        },
                    },
                },
                "Error": {
                    "type": "object",
                    "required": ["detail"],
                    "properties": {
                        "detail": {"type": "string"},
                        "errors": {
                            "type": "object",
                            "additionalProperties": {"type": "array", "items": {"type": "string"}},
                        },
                    },
                },
            },
        },
    }
