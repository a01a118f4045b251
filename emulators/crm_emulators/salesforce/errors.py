"""The errors the emulated org answers with, worded as Salesforce words them.

Every refusal is an :class:`ApiError`: an HTTP status plus one element of Salesforce's error
array, ``{"message", "errorCode", "fields"}``. The helpers below build the ones the record
store and the REST layer need, so a message is written in one place.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class ApiError(Exception):
    """A refused request: HTTP status, ``errorCode``, message and the fields involved."""

    status: int
    code: str
    message: str
    fields: tuple[str, ...] = ()

    def body(self) -> dict[str, Any]:
        """The error as one element of the REST API's error array."""
        return {"message": self.message, "errorCode": self.code, "fields": list(self.fields)}

    def record_error(self) -> dict[str, Any]:
        """The error as sObject Collections report it for one record (``statusCode``)."""
        return {"statusCode": self.code, "message": self.message, "fields": list(self.fields)}


def invalid_field(sobject: str, name: str) -> ApiError:
    """A field the object does not have."""
    return ApiError(400, "INVALID_FIELD", f"No such column '{name}' on sobject of type {sobject}",
                    (name,))


def not_writable(name: str) -> ApiError:
    """A field that cannot be set on create (or changed on update)."""
    return ApiError(400, "INVALID_FIELD_FOR_INSERT_UPDATE",
                    f"Unable to create/update fields: {name}. Please check the security settings "
                    "of this field and verify that it is read/write for your profile or "
                    "permission set.", (name,))


def not_allowed_on(sobject: str, verb: str) -> ApiError:
    """An object whose records cannot be ``verb`` (inserted, updated, deleted) by the API."""
    return ApiError(400, "INVALID_TYPE_FOR_OPERATION", f"entity type cannot be {verb}: {sobject}")


def required_missing(names: list[str]) -> ApiError:
    """Required fields left empty."""
    return ApiError(400, "REQUIRED_FIELD_MISSING",
                    f"Required fields are missing: [{', '.join(names)}]", tuple(names))


def duplicate_external_id(name: str, value: object) -> ApiError:
    """An upsert request naming the same external id value more than once: every record
    carrying it is refused (the others are written)."""
    return ApiError(400, "DUPLICATE_EXTERNAL_ID",
                    f"Duplicate external id specified: {value}", (name,))


def duplicate_value(name: str, other_id: str) -> ApiError:
    """A unique field whose value another record already holds."""
    return ApiError(400, "DUPLICATE_VALUE",
                    f"duplicate value found: {name} duplicates value on record with id: "
                    f"{other_id}")


def bad_picklist_value(label: str, name: str, value: object) -> ApiError:
    """A value outside a restricted picklist."""
    return ApiError(400, "INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST",
                    f"{label}: bad value for restricted picklist field: {value}", (name,))


def too_long(label: str, name: str, value: str, length: int) -> ApiError:
    """A text value longer than the field allows."""
    return ApiError(400, "STRING_TOO_LONG",
                    f"{label}: data value too large: {value} (max length={length})", (name,))


def not_deserializable(java_type: str, value: object) -> ApiError:
    """A JSON value the field's type cannot be read from (the request fails as a whole)."""
    token = "START_OBJECT" if isinstance(value, dict) else (
        "START_ARRAY" if isinstance(value, list) else "VALUE_STRING")
    shown = "{" if isinstance(value, dict) else ("[" if isinstance(value, list) else value)
    return ApiError(400, "JSON_PARSER_ERROR",
                    f"Cannot deserialize instance of {java_type} from {token} value {shown} or "
                    "request may be missing a required field")


def wrong_type(label: str, name: str, value: object) -> ApiError:
    """A well-formed JSON value of a kind the field does not hold."""
    return ApiError(400, "INVALID_TYPE_ON_FIELD_IN_RECORD",
                    f"{label}: value not of required type: {value}", (name,))


def malformed_reference(label: str, name: str, value: str) -> ApiError:
    """A reference field given something that is not an id."""
    return ApiError(400, "MALFORMED_ID", f"{label}: id value of incorrect type: {value}", (name,))


def reference_of_wrong_type(label: str, name: str, value: str) -> ApiError:
    """A reference field given the id of an object it cannot point to."""
    return ApiError(400, "FIELD_INTEGRITY_EXCEPTION",
                    f"{label}: id value of incorrect type: {value}", (name,))


def currency_mismatch() -> ApiError:
    """A line item whose price book entry is in another currency than its opportunity."""
    return ApiError(400, "FIELD_INTEGRITY_EXCEPTION",
                    "field integrity exception: PricebookEntryId (pricebook entry currency code "
                    "does not match opportunity currency code)", ("PricebookEntryId",))


def dangling_reference(name: str) -> ApiError:
    """A reference field given the id of no (live) record."""
    return ApiError(400, "INVALID_CROSS_REFERENCE_KEY", "invalid cross reference id", (name,))


def no_such_resource() -> ApiError:
    """A well-formed id of the right object that names no record (or a path that is unknown)."""
    return ApiError(404, "NOT_FOUND", "The requested resource does not exist")


def no_such_external_id_field(text: str) -> ApiError:
    """A path segment after the object name that is neither an id nor an external id field."""
    return ApiError(404, "NOT_FOUND",
                    f"Provided external ID field does not exist or is not accessible: {text}")


def id_of_wrong_object(sobject: str, record_id: str) -> ApiError:
    """An id addressed to an object it does not belong to."""
    return ApiError(400, "MALFORMED_ID",
                    f"{sobject} ID: id value of incorrect type: {record_id}", ("Id",))


def entity_deleted() -> ApiError:
    """A record in the recycle bin."""
    return ApiError(404, "ENTITY_IS_DELETED", "entity is deleted")


def no_such_sobject() -> ApiError:
    """An object name the org does not have, in a REST path."""
    return ApiError(404, "NOT_FOUND", "The requested resource does not exist")


def json_parser_error(detail: str) -> ApiError:
    """A request body that is not the JSON expected."""
    return ApiError(400, "JSON_PARSER_ERROR", detail)


def session_invalid() -> ApiError:
    """A missing, unknown or expired access token."""
    return ApiError(401, "INVALID_SESSION_ID", "Session expired or invalid")


def request_limit_exceeded() -> ApiError:
    """The daily API allocation is used up."""
    return ApiError(403, "REQUEST_LIMIT_EXCEEDED", "TotalRequests Limit exceeded.")
