"""What the org says about itself: API versions, global and sObject describe, limits.

Describe reports the emulated data model with the attributes clients read: field name,
label, type, length, nillable, createable, updateable, externalId, unique, referenceTo,
relationshipName, picklistValues and restrictedPicklist, plus the object's child
relationships. Global describe lists exactly the objects the org has: ``Organization``
always, no currency fields unless the org has multiple currencies.
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from crm_emulators.salesforce.gateway import NEWEST_VERSION, OLDEST_VERSION, Call
from crm_emulators.salesforce.objects import FieldSpec, ObjectSpec, Schema
from crm_emulators.salesforce.rest_collections import LIMIT as COLLECTION_LIMIT

_NOT_NILLABLE_TYPES = {"boolean", "id"}


async def versions(request: Request) -> Response:
    """``GET /services/data/``: every API version served (no session needed)."""
    return JSONResponse([{"label": _release(v), "url": f"/services/data/v{v}.0",
                          "version": f"{v}.0"}
                         for v in range(OLDEST_VERSION, NEWEST_VERSION + 1)])


async def global_describe(request: Request, call: Call) -> Response:
    """``GET /sobjects``: every object, briefly."""
    return JSONResponse({"encoding": "UTF-8", "maxBatchSize": COLLECTION_LIMIT,
                         "sobjects": [_summary(spec, call.version)
                                      for spec in call.org.store.schema.objects.values()]})


async def describe(request: Request, call: Call) -> Response:
    """``GET /sobjects/{type}/describe``: one object with its fields."""
    schema = call.org.store.schema
    spec = call.org.store.spec(request.path_params["sobject"])
    return JSONResponse({**_summary(spec, call.version),
                         "fields": [_field(field) for field in spec.fields.values()],
                         "childRelationships": _children(schema, spec.name)})


async def limits(request: Request, call: Call) -> Response:
    """``GET /limits``: the daily API allocation (the call itself counted)."""
    meter = call.org.meter
    return JSONResponse({"DailyApiRequests": {"Max": meter.limit,
                                              "Remaining": meter.limit - meter.used}})


def _summary(spec: ObjectSpec, version: str) -> dict[str, Any]:
    base = f"/services/data/v{version}/sobjects/{spec.name}"
    return {
        "name": spec.name, "label": spec.label, "labelPlural": f"{spec.label}s",
        "keyPrefix": spec.key_prefix, "custom": spec.custom, "queryable": True,
        "createable": spec.writable, "updateable": spec.writable, "deletable": spec.writable,
        "retrieveable": True, "replicateable": spec.writable, "searchable": spec.writable,
        "layoutable": spec.writable,
        "urls": {"sobject": base, "describe": f"{base}/describe",
                 "rowTemplate": f"{base}/{{ID}}"},
    }


def _field(field: FieldSpec) -> dict[str, Any]:
    info = field.info
    return {
        "name": info.name, "label": field.label, "type": info.type,
        "length": field.length if info.type in ("string", "textarea", "email", "phone",
                                                "url", "picklist") else 0,
        "byteLength": (field.length or 0) * 3, "nillable": _nillable(field),
        "createable": info.createable, "updateable": info.updateable,
        "externalId": field.external_id, "unique": field.unique, "idLookup": _id_lookup(field),
        "custom": info.name.endswith("__c"), "calculated": False,
        "defaultedOnCreate": field.default is not None or info.name in ("Id", "OwnerId"),
        "referenceTo": list(info.reference_to), "relationshipName": info.relationship_name,
        "restrictedPicklist": field.restricted,
        "picklistValues": [{"value": v, "label": v, "active": True, "validFor": None,
                            "defaultValue": v == field.default}
                           for v in info.picklist_values],
        "precision": 18 if info.type in ("double", "currency", "percent") else 0,
        "scale": 2 if info.type in ("currency", "percent") else 0,
        "soapType": _soap_type(info.type), "filterable": True, "sortable": True,
    }


def _nillable(field: FieldSpec) -> bool:
    return not (field.required or field.type in _NOT_NILLABLE_TYPES)


def _id_lookup(field: FieldSpec) -> bool:
    return field.name == "Id" or field.external_id


def _soap_type(kind: str) -> str:
    return {"id": "tns:ID", "reference": "tns:ID", "boolean": "xsd:boolean",
            "double": "xsd:double", "currency": "xsd:double", "percent": "xsd:double",
            "int": "xsd:int", "date": "xsd:date", "datetime": "xsd:dateTime"}.get(
        kind, "xsd:string")


def _children(schema: Schema, parent: str) -> list[dict[str, Any]]:
    return [{"childSObject": child.name, "field": field.name,
             "relationshipName": field.child_relationship, "cascadeDelete": False,
             "restrictedDelete": False, "deprecatedAndHidden": False}
            for child, field in schema.children(parent)]


def _release(version: int) -> str:
    offset = version - 50  # API 50.0 is Winter '21; three releases a year
    return f"{('Winter', 'Spring', 'Summer')[offset % 3]} '{21 + offset // 3}"
