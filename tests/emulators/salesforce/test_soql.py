"""The emulator's SOQL engine, run over a small in-memory record store."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from simple_salesforce.format import format_soql

from crm_emulators.clock import ManualClock
from crm_emulators.salesforce.model import FieldInfo, ObjectInfo
from crm_emulators.salesforce.soql import SoqlError, count, execute, parse
from crm_emulators.salesforce.standard_fields import standard_objects


def _id(prefix: str, n: int) -> str:
    return f"{prefix}{n:012d}AAA"


U_ADA, U_BOB, U_CY = _id("005", 1), _id("005", 2), _id("005", 3)
A_ACME, A_BETA, A_GONE, A_PCT, A_SNAKE = (_id("001", n) for n in range(1, 6))
O_ACME, O_NOACC, O_DANGLING, O_BETA = (_id("006", n) for n in range(1, 5))
P_PRO = _id("01t", 1)
S_ONE = _id("a00", 1)


def _schema() -> dict[str, ObjectInfo]:
    schema = standard_objects()
    account = schema["Account"]
    schema["Account"] = ObjectInfo("Account", {
        **account.fields, "CSM__c": FieldInfo("CSM__c", "reference", ("User",), "CSM__r"),
    })
    schema["Subscription__c"] = ObjectInfo("Subscription__c", {f.name: f for f in [
        FieldInfo("Id", "id"), FieldInfo("Name", "string"), FieldInfo("IsDeleted", "boolean"),
        FieldInfo("Account__c", "reference", ("Account",), "Account__r"),
        FieldInfo("Product__c", "reference", ("Product2",), "Product__r"),
        FieldInfo("Quantity__c", "double"), FieldInfo("Term_Months__c", "int"),
    ]})
    return schema


SCHEMA = _schema()

RECORDS: dict[str, list[dict[str, Any]]] = {
    "User": [
        {"Id": U_ADA, "Name": "Ada", "ManagerId": U_BOB, "IsActive": True},
        {"Id": U_BOB, "Name": "Bob", "ManagerId": U_CY, "IsActive": True},
        {"Id": U_CY, "Name": "Cy", "ManagerId": U_CY, "IsActive": False},
    ],
    "Account": [
        {"Id": A_ACME, "Name": "Acme", "OwnerId": U_ADA, "CSM__c": U_BOB, "IsDeleted": False,
         "Industry": "Energy", "CreatedDate": "2026-11-22T10:00:00.000+0000"},
        {"Id": A_BETA, "Name": "beta corp", "OwnerId": U_BOB, "CSM__c": None,
         "IsDeleted": False, "Industry": None, "CreatedDate": "2026-11-21T23:30:00.000+0000"},
        {"Id": A_GONE, "Name": "Gone Inc", "OwnerId": U_BOB, "CSM__c": None,
         "IsDeleted": True, "Industry": "Banking", "CreatedDate": "2026-01-01T00:00:00.000+0000"},
        {"Id": A_PCT, "Name": "100% Club", "OwnerId": U_ADA, "CSM__c": U_ADA,
         "IsDeleted": False, "Industry": "banking", "CreatedDate": "2025-06-01T08:00:00.000+0000"},
        {"Id": A_SNAKE, "Name": "O'Brien_Snake", "OwnerId": U_ADA, "CSM__c": None,
         "IsDeleted": False, "Industry": None, "CreatedDate": "2026-11-22T09:59:59.999+0000"},
    ],
    "Opportunity": [
        {"Id": O_ACME, "Name": "Acme deal", "AccountId": A_ACME, "Amount": 100.0,
         "CloseDate": "2026-11-22", "StageName": "Closed Won", "IsWon": True},
        {"Id": O_NOACC, "Name": "Orphan", "AccountId": None, "Amount": None,
         "CloseDate": "2026-11-15", "StageName": "Prospecting", "IsWon": False},
        {"Id": O_DANGLING, "Name": "Dangling", "AccountId": _id("001", 99), "Amount": 250,
         "CloseDate": "2026-12-01", "StageName": "Prospecting", "IsWon": False},
        {"Id": O_BETA, "Name": "Beta deal", "AccountId": A_BETA, "Amount": 50.5,
         "CloseDate": "2026-11-21", "StageName": "closed won", "IsWon": True},
    ],
    "Product2": [{"Id": P_PRO, "Name": "Pro plan", "ProductCode": "PRO"}],
    "Subscription__c": [
        {"Id": S_ONE, "Name": "S-1", "Account__c": A_ACME, "Product__c": P_PRO,
         "Quantity__c": 3, "Term_Months__c": 12, "IsDeleted": False},
    ],
}


class MemorySource:
    """Records held in a dict, as the emulator's store would hand them over."""

    def __init__(self, records: Mapping[str, list[dict[str, Any]]]) -> None:
        self._records = records

    def records(self, sobject: str) -> Iterable[Mapping[str, Any]]:
        return list(self._records.get(sobject, []))

    def get(self, sobject: str, record_id: str) -> Mapping[str, Any] | None:
        return next((r for r in self._records.get(sobject, []) if r["Id"] == record_id), None)


SOURCE = MemorySource(RECORDS)
NOW = ManualClock(datetime(2026, 11, 22, 12, 0, tzinfo=UTC))


def run(soql: str, **options: Any) -> list[dict[str, Any]]:
    return execute(parse(soql, SCHEMA), SOURCE, clock=NOW, **options)


def names(soql: str, **options: Any) -> list[str]:
    return [row["Name"] for row in run(soql, **options)]


def error(soql: str) -> SoqlError:
    with pytest.raises(SoqlError) as caught:
        parse(soql, SCHEMA)
    return caught.value


# -- SELECT and the JSON shape -------------------------------------------------------------

def test_records_come_in_rest_shape_with_only_the_selected_fields_in_order() -> None:
    rows = run("SELECT Name, Id FROM Account WHERE Name = 'Acme'")
    assert rows == [{
        "attributes": {"type": "Account", "url": f"/services/data/v62.0/sobjects/Account/{A_ACME}"},
        "Name": "Acme", "Id": A_ACME,
    }]
    assert list(rows[0]) == ["attributes", "Name", "Id"]


def test_api_version_goes_into_the_url() -> None:
    rows = run("SELECT Id FROM Account WHERE Name = 'Acme'", api_version="59.0")
    assert rows[0]["attributes"]["url"] == f"/services/data/v59.0/sobjects/Account/{A_ACME}"


def test_keywords_objects_and_fields_ignore_case_and_answer_with_api_names() -> None:
    rows = run("select id, NAME from account where name = 'acme'")
    assert rows[0]["attributes"]["type"] == "Account"
    assert list(rows[0]) == ["attributes", "Id", "Name"]


def test_a_field_absent_from_the_stored_record_reads_null() -> None:
    assert run("SELECT Phone FROM Account WHERE Name = 'Acme'")[0]["Phone"] is None


# -- comparison operators ------------------------------------------------------------------

@pytest.mark.parametrize(("condition", "expected"), [
    ("Amount = 100", ["Acme deal"]),
    ("Amount != 100", ["Orphan", "Dangling", "Beta deal"]),
    ("Amount <> 100", ["Orphan", "Dangling", "Beta deal"]),
    ("Amount < 100", ["Beta deal"]),
    ("Amount <= 100", ["Acme deal", "Beta deal"]),
    ("Amount > 100", ["Dangling"]),
    ("Amount >= 100.0", ["Acme deal", "Dangling"]),
    ("Amount > -1", ["Acme deal", "Dangling", "Beta deal"]),
])
def test_number_operators(condition: str, expected: list[str]) -> None:
    assert names(f"SELECT Name FROM Opportunity WHERE {condition}") == expected


def test_text_equality_ignores_case() -> None:
    assert names("SELECT Name FROM Opportunity WHERE StageName = 'CLOSED WON'") == [
        "Acme deal", "Beta deal"]


def test_text_ranges_compare_alphabetically_ignoring_case() -> None:
    assert names("SELECT Name FROM Account WHERE Name < 'b'") == ["Acme", "100% Club"]


def test_booleans() -> None:
    assert names("SELECT Name FROM Opportunity WHERE IsWon = TRUE") == ["Acme deal", "Beta deal"]
    assert names("SELECT Name FROM Opportunity WHERE IsWon = false") == ["Orphan", "Dangling"]


# -- IN and NOT IN ---------------------------------------------------------------------------

def test_in_list_of_strings() -> None:
    soql = "SELECT Name FROM Account WHERE Industry IN ('energy', 'Banking')"
    assert names(soql) == ["Acme", "100% Club"]


def test_not_in_includes_nulls() -> None:
    soql = "SELECT Name FROM Account WHERE Industry NOT IN ('Energy')"
    assert names(soql) == ["beta corp", "100% Club", "O'Brien_Snake"]


def test_in_list_of_ids_matches_15_character_ids_too() -> None:
    soql = f"SELECT Name FROM Account WHERE Id IN ('{A_ACME}', '{A_BETA[:15]}')"
    assert names(soql) == ["Acme", "beta corp"]


def test_in_list_with_null() -> None:
    soql = "SELECT Name FROM Account WHERE Industry IN (null, 'Energy')"
    assert names(soql) == ["Acme", "beta corp", "O'Brien_Snake"]


# -- LIKE ----------------------------------------------------------------------------------

@pytest.mark.parametrize(("pattern", "expected"), [
    ("ac%", ["Acme"]),
    ("%CORP", ["beta corp"]),
    ("_cme", ["Acme"]),
    ("acme", ["Acme"]),
    ("%c%", ["Acme", "beta corp", "100% Club"]),
    ("%\\%%", ["100% Club"]),
    ("%\\_%", ["O'Brien_Snake"]),
    ("O\\'%", ["O'Brien_Snake"]),
    ("a", []),
])
def test_like(pattern: str, expected: list[str]) -> None:
    assert names(f"SELECT Name FROM Account WHERE Name LIKE '{pattern}'") == expected


def test_like_never_matches_null() -> None:
    assert names("SELECT Name FROM Account WHERE Industry LIKE '%'") == ["Acme", "100% Club"]


# -- nulls ---------------------------------------------------------------------------------

def test_equals_null_and_not_equals_null() -> None:
    assert names("SELECT Name FROM Account WHERE Industry = null") == [
        "beta corp", "O'Brien_Snake"]
    assert names("SELECT Name FROM Account WHERE Industry != NULL") == ["Acme", "100% Club"]


def test_not_equals_a_value_includes_nulls_and_ranges_exclude_them() -> None:
    assert names("SELECT Name FROM Account WHERE Industry != 'Energy'") == [
        "beta corp", "100% Club", "O'Brien_Snake"]
    assert names("SELECT Name FROM Opportunity WHERE Amount < 1000") == [
        "Acme deal", "Dangling", "Beta deal"]


# -- logic ---------------------------------------------------------------------------------

def test_and_or() -> None:
    assert names("SELECT Name FROM Opportunity WHERE IsWon = true AND Amount > 60") == [
        "Acme deal"]
    assert names("SELECT Name FROM Opportunity WHERE Amount > 200 OR Amount < 60 OR "
                 "Name = 'Orphan'") == ["Orphan", "Dangling", "Beta deal"]


def test_parentheses_decide_grouping() -> None:
    and_first = ("SELECT Name FROM Opportunity WHERE (IsWon = true AND Amount > 60) "
                 "OR Name = 'Orphan'")
    or_first = ("SELECT Name FROM Opportunity WHERE IsWon = true AND (Amount > 60 "
                "OR Name = 'Orphan')")
    assert names(and_first) == ["Acme deal", "Orphan"]
    assert names(or_first) == ["Acme deal"]


def test_mixing_and_with_or_needs_parentheses_as_in_salesforce() -> None:
    caught = error("SELECT Name FROM Opportunity WHERE IsWon = true AND Amount > 60 OR "
                   "Name = 'Orphan'")
    assert caught.error_code == "MALFORMED_QUERY"
    assert caught.message.endswith("unexpected token: 'OR'")


def test_not() -> None:
    assert names("SELECT Name FROM Opportunity WHERE NOT IsWon = true") == [
        "Orphan", "Dangling"]
    assert names("SELECT Name FROM Opportunity WHERE NOT (IsWon = true OR Amount > 200)") == [
        "Orphan"]
    assert names("SELECT Name FROM Opportunity WHERE Amount > 0 AND (NOT Name LIKE 'A%')") == [
        "Dangling", "Beta deal"]


# -- parent paths ----------------------------------------------------------------------------

def test_parent_paths_nest_with_their_own_attributes() -> None:
    rows = run("SELECT Name, Account.Name, Account.Owner.Name, Account.Industry "
               "FROM Opportunity WHERE Name = 'Acme deal'")
    assert rows[0] == {
        "attributes": {"type": "Opportunity",
                       "url": f"/services/data/v62.0/sobjects/Opportunity/{O_ACME}"},
        "Name": "Acme deal",
        "Account": {
            "attributes": {"type": "Account",
                           "url": f"/services/data/v62.0/sobjects/Account/{A_ACME}"},
            "Name": "Acme",
            "Owner": {
                "attributes": {"type": "User",
                               "url": f"/services/data/v62.0/sobjects/User/{U_ADA}"},
                "Name": "Ada",
            },
            "Industry": "Energy",
        },
    }


def test_empty_or_dangling_reference_selects_a_null_object() -> None:
    rows = run("SELECT Name, Account.Name, Account.Owner.Name FROM Opportunity "
               "WHERE Name IN ('Orphan', 'Dangling')")
    assert [row["Account"] for row in rows] == [None, None]


def test_null_field_on_a_present_parent_is_null_inside_the_object() -> None:
    row = run("SELECT Account.CSM__c FROM Opportunity WHERE Name = 'Beta deal'")[0]
    assert row["Account"]["CSM__c"] is None


def test_custom_relationships() -> None:
    row = run("SELECT Product__r.ProductCode, Account__r.CSM__r.Name FROM Subscription__c")[0]
    assert row["Product__r"]["ProductCode"] == "PRO"
    assert row["Account__r"]["CSM__r"]["Name"] == "Bob"


def test_five_relationship_levels() -> None:
    soql = ("SELECT Account.Owner.Manager.Manager.Manager.Name FROM Opportunity "
            "WHERE Name = 'Acme deal'")
    owner = run(soql)[0]["Account"]["Owner"]
    assert owner["Manager"]["Manager"]["Manager"]["Name"] == "Cy"


def test_parent_paths_in_where() -> None:
    assert names("SELECT Name FROM Opportunity WHERE Account.Name = 'acme'") == ["Acme deal"]
    assert names("SELECT Name FROM Opportunity WHERE Account.Owner.Name = 'Bob'") == [
        "Beta deal"]


def test_null_parent_path_is_null_in_where() -> None:
    assert names("SELECT Name FROM Opportunity WHERE Account.CSM__c = null") == [
        "Orphan", "Dangling", "Beta deal"]


# -- ORDER BY, LIMIT, OFFSET -----------------------------------------------------------------

def test_order_ascending_puts_nulls_first_and_ignores_case() -> None:
    assert names("SELECT Name FROM Account ORDER BY Industry, Name") == [
        "beta corp", "O'Brien_Snake", "100% Club", "Acme"]


def test_order_descending_puts_nulls_last() -> None:
    assert names("SELECT Name FROM Opportunity ORDER BY Amount DESC") == [
        "Dangling", "Acme deal", "Beta deal", "Orphan"]


def test_explicit_nulls_placement() -> None:
    assert names("SELECT Name FROM Opportunity ORDER BY Amount ASC NULLS LAST") == [
        "Beta deal", "Acme deal", "Dangling", "Orphan"]
    assert names("SELECT Name FROM Opportunity ORDER BY Amount DESC NULLS FIRST") == [
        "Orphan", "Dangling", "Acme deal", "Beta deal"]


def test_order_by_several_keys() -> None:
    assert names("SELECT Name FROM Opportunity ORDER BY IsWon DESC, CloseDate") == [
        "Beta deal", "Acme deal", "Orphan", "Dangling"]


def test_order_by_parent_path() -> None:
    assert names("SELECT Name FROM Opportunity ORDER BY Account.Name DESC NULLS LAST") == [
        "Beta deal", "Acme deal", "Orphan", "Dangling"]


def test_limit_and_offset() -> None:
    ordered = "SELECT Name FROM Opportunity ORDER BY Name"
    assert names(f"{ordered} LIMIT 2") == ["Acme deal", "Beta deal"]
    assert names(f"{ordered} LIMIT 2 OFFSET 1") == ["Beta deal", "Dangling"]
    assert names(f"{ordered} OFFSET 3") == ["Orphan"]
    assert names(f"{ordered} OFFSET 10") == []
    assert names(f"{ordered} LIMIT 0") == []


# -- dates and datetimes ---------------------------------------------------------------------

@pytest.mark.parametrize(("condition", "expected"), [
    ("CreatedDate = 2026-11-22T10:00:00Z", ["Acme"]),
    ("CreatedDate = 2026-11-22T12:00:00+02:00", ["Acme"]),
    ("CreatedDate = 2026-11-22T05:00:00-0500", ["Acme"]),
    ("CreatedDate = 2026-11-22T10:00:00.000Z", ["Acme"]),
    ("CreatedDate < 2026-11-22T10:00:00Z", ["beta corp", "100% Club", "O'Brien_Snake"]),
    ("CreatedDate >= 2026-11-22T09:59:59.999Z", ["Acme", "O'Brien_Snake"]),
    ("CreatedDate > 2026-11-22T00:00:00+01:00", ["Acme", "beta corp", "O'Brien_Snake"]),
])
def test_datetimes_compare_as_instants(condition: str, expected: list[str]) -> None:
    assert names(f"SELECT Name FROM Account WHERE {condition}") == expected


def test_date_literals() -> None:
    assert names("SELECT Name FROM Opportunity WHERE CloseDate = 2026-11-22") == ["Acme deal"]
    assert names("SELECT Name FROM Opportunity WHERE CloseDate >= 2026-11-21 "
                 "AND CloseDate < 2026-12-01") == ["Acme deal", "Beta deal"]


@pytest.mark.parametrize(("condition", "expected"), [
    ("CloseDate = TODAY", ["Acme deal"]),
    ("CloseDate = YESTERDAY", ["Beta deal"]),
    ("CloseDate < TODAY", ["Orphan", "Beta deal"]),
    ("CloseDate <= TODAY", ["Acme deal", "Orphan", "Beta deal"]),
    ("CloseDate > TODAY", ["Dangling"]),
    ("CloseDate = LAST_N_DAYS:1", ["Acme deal", "Beta deal"]),
    ("CloseDate = LAST_N_DAYS:7", ["Acme deal", "Orphan", "Beta deal"]),
    ("CloseDate = NEXT_N_DAYS:9", ["Dangling"]),
    ("CloseDate = N_DAYS_AGO:7", ["Orphan"]),
    ("CloseDate = THIS_MONTH", ["Acme deal", "Orphan", "Beta deal"]),
    ("CloseDate = NEXT_MONTH", ["Dangling"]),
    ("CloseDate = THIS_WEEK", ["Acme deal"]),
    ("CloseDate = LAST_WEEK", ["Orphan", "Beta deal"]),
    ("CloseDate != THIS_YEAR", []),
])
def test_relative_date_literals_on_a_date_field(condition: str, expected: list[str]) -> None:
    assert names(f"SELECT Name FROM Opportunity WHERE {condition}") == expected


def test_relative_date_literals_on_a_datetime_field_use_whole_utc_days() -> None:
    assert names("SELECT Name FROM Account WHERE CreatedDate = TODAY") == [
        "Acme", "O'Brien_Snake"]
    assert names("SELECT Name FROM Account WHERE CreatedDate < TODAY") == [
        "beta corp", "100% Club"]


# -- deleted records and COUNT() -------------------------------------------------------------

def test_deleted_records_only_when_asked() -> None:
    assert "Gone Inc" not in names("SELECT Name FROM Account")
    assert "Gone Inc" in names("SELECT Name FROM Account", include_deleted=True)
    assert names("SELECT Name FROM Account WHERE IsDeleted = true", include_deleted=True) == [
        "Gone Inc"]


def test_count() -> None:
    query = parse("SELECT COUNT() FROM Account WHERE Industry != null", SCHEMA)
    assert query.is_count
    assert execute(query, SOURCE) == []
    assert count(query, SOURCE) == 2
    assert count(query, SOURCE, include_deleted=True) == 3
    assert count(parse("select count() from Account limit 1", SCHEMA), SOURCE) == 1


def test_parsed_query_exposes_object_and_limit() -> None:
    query = parse("SELECT Id FROM opportunity LIMIT 5", SCHEMA)
    assert (query.sobject, query.limit) == ("Opportunity", 5)


# -- strings -------------------------------------------------------------------------------

@pytest.mark.parametrize(("literal", "value"), [
    ("'O\\'Brien_Snake'", "O'Brien_Snake"),
    ("'a\\\\b'", "a\\b"),
    ("'line\\nbreak'", "line\nbreak"),
    ("'tab\\there'", "tab\there"),
    ("'say \\\"hi\\\"'", 'say "hi"'),
])
def test_string_escapes(literal: str, value: str) -> None:
    source = MemorySource({"Account": [{"Id": A_ACME, "Name": value, "IsDeleted": False}]})
    query = parse(f"SELECT Name FROM Account WHERE Name = {literal}", SCHEMA)
    assert [row["Name"] for row in execute(query, source)] == [value]


@settings(max_examples=60, deadline=None)
@given(st.text(max_size=12))
def test_values_quoted_by_format_soql_find_their_record(value: str) -> None:
    source = MemorySource({"Account": [{"Id": A_ACME, "Name": value, "IsDeleted": False}]})
    equal = parse(format_soql("SELECT Id FROM Account WHERE Name = {}", value), SCHEMA)
    like = parse(format_soql("SELECT Id FROM Account WHERE Name LIKE '{:like}'", value), SCHEMA)
    assert count(equal, source) == 1
    assert count(like, source) == 1


# -- errors --------------------------------------------------------------------------------

NO_SUCH_COLUMN_TAIL = (
    "If you are attempting to use a custom field, be sure to append the '__c' after the custom "
    "field name. Please reference your WSDL or the describe call for the appropriate names."
)


def test_unknown_field_message_matches_salesforce() -> None:
    caught = error("SELECT Id, Nmae FROM Account")
    assert caught.error_code == "INVALID_FIELD"
    assert caught.message == (
        "\nSELECT Id, Nmae FROM Account\n           ^\nERROR at Row:1:Column:12\n"
        f"No such column 'Nmae' on entity 'Account'. {NO_SUCH_COLUMN_TAIL}"
    )
    assert str(caught) == caught.message


def test_unknown_object_message_matches_salesforce() -> None:
    caught = error("SELECT Id FROM Foo")
    assert caught.error_code == "INVALID_TYPE"
    assert caught.message == (
        "\nSELECT Id FROM Foo\n               ^\nERROR at Row:1:Column:16\n"
        "sObject type 'Foo' is not supported. If you are attempting to use a custom object, be "
        "sure to append the '__c' after the entity name. Please reference your WSDL or the "
        "describe call for the appropriate names."
    )


def test_error_position_counts_rows_and_columns() -> None:
    caught = error("SELECT Id\nFROM Account\nWHERE  Nope = 1")
    assert caught.message.startswith("\nWHERE  Nope = 1\n       ^\nERROR at Row:3:Column:8\n")


@pytest.mark.parametrize(("soql", "reason"), [
    ("SELECT Account.Nmae FROM Opportunity",
     f"No such column 'Nmae' on entity 'Account'. {NO_SUCH_COLUMN_TAIL}"),
    ("SELECT Id FROM Opportunity WHERE Account.Bogus = null",
     f"No such column 'Bogus' on entity 'Account'. {NO_SUCH_COLUMN_TAIL}"),
    ("SELECT Id FROM Account ORDER BY Nmae",
     f"No such column 'Nmae' on entity 'Account'. {NO_SUCH_COLUMN_TAIL}"),
    ("SELECT Acount.Name FROM Opportunity",
     "Didn't understand relationship 'Acount' in field path. If you are attempting to use a "
     "custom relationship, be sure to append the '__r' after the custom relationship name. "
     "Please reference your WSDL or the describe call for the appropriate names."),
    ("SELECT Name.First FROM Account", "Didn't understand relationship 'Name' in field path."),
    ("SELECT Id FROM Account WHERE CreatedDate > 2026-11-22",
     "value of filter criterion for field 'CreatedDate' must be of type dateTime and should "
     "not be enclosed in quotes"),
    ("SELECT Id FROM Account WHERE CreatedDate > '2026-11-22T10:00:00Z'",
     "value of filter criterion for field 'CreatedDate' must be of type dateTime and should "
     "not be enclosed in quotes"),
    ("SELECT Id FROM Opportunity WHERE CloseDate = 2026-11-22T00:00:00Z",
     "value of filter criterion for field 'CloseDate' must be of type date and should not be "
     "enclosed in quotes"),
    ("SELECT Id FROM Opportunity WHERE Amount = '5'",
     "value of filter criterion for field 'Amount' must be of type double and should not be "
     "enclosed in quotes"),
    ("SELECT Id FROM Subscription__c WHERE Term_Months__c IN (1, '2')",
     "value of filter criterion for field 'Term_Months__c' must be of type integer and should "
     "not be enclosed in quotes"),
    ("SELECT Id FROM Opportunity WHERE IsWon = 'true'",
     "value of filter criterion for field 'IsWon' must be of type boolean and should not be "
     "enclosed in quotes"),
    ("SELECT Id FROM Account WHERE Name = 5",
     "value of filter criterion for field 'Name' must be of type string and should be "
     "enclosed in quotes"),
    ("SELECT Id FROM Account WHERE Name = TODAY",
     "value of filter criterion for field 'Name' must be of type string and should be "
     "enclosed in quotes"),
])
def test_invalid_field(soql: str, reason: str) -> None:
    caught = error(soql)
    assert caught.error_code == "INVALID_FIELD"
    assert reason in caught.message


@pytest.mark.parametrize(("soql", "reason"), [
    ("SELECT Id Account", "unexpected token: 'Account'"),
    ("SELECT Id FROM", "unexpected token: '<EOF>'"),
    ("SELECT FROM Account", "unexpected token: 'FROM'"),
    ("SELECT Id FROM Account WHERE", "unexpected token: '<EOF>'"),
    ("SELECT Id FROM Account WHERE Name = 'x' Name", "unexpected token: 'Name'"),
    ("SELECT Id FROM Account WHERE (Name = 'x'", "unexpected token: '<EOF>'"),
    ("SELECT Id FROM Account WHERE Name 'x'", "unexpected token: ''x''"),
    ("SELECT Id FROM Account WHERE Name = 'x", "no viable alternative at character '''"),
    ("SELECT Id FROM Account WHERE Name = 'a\\qb'", "Invalid string literal"),
    ("SELECT Id FROM Account WHERE Name LIKE null", "unexpected token: 'null'"),
    ("SELECT Id FROM Account WHERE CreatedDate > 2026-11-22T10:00:00", "Invalid datetime"),
    ("SELECT Id FROM Account WHERE CreatedDate > 2026-13-01T10:00:00Z", "Invalid datetime"),
    ("SELECT Id FROM Opportunity WHERE CloseDate = 2026-02-30", "Invalid date"),
    ("SELECT Id FROM Opportunity WHERE CloseDate = LAST_N_DAYS", "unexpected token: '<EOF>'"),
    ("SELECT Id FROM Opportunity WHERE CloseDate = LAST_FISCAL_QUARTER", "unexpected token"),
    ("SELECT Id FROM Opportunity WHERE CloseDate = NEXT_N_WEEKS:2",
     "date literals like NEXT_N_WEEKS are not supported"),
    ("SELECT Id FROM Account LIMIT 'x'", "unexpected token: ''x''"),
    ("SELECT Id FROM Account LIMIT 1.5", "unexpected token: '1.5'"),
    ("SELECT Id FROM Account ORDER BY Name NULLS", "unexpected token: '<EOF>'"),
    ("SELECT Id FROM Account OFFSET 1 LIMIT 1", "unexpected token: 'LIMIT'"),
    ("SELECT Id, Name, id FROM Account", "duplicate field selected: id"),
    ("SELECT Id, (SELECT Id FROM Contacts) FROM Account",
     "child relationship subqueries are not supported"),
    ("SELECT Id FROM Account WHERE Id IN (SELECT AccountId FROM Opportunity)",
     "semi-join subqueries are not supported"),
    ("SELECT COUNT(Id) FROM Account", "aggregate functions other than COUNT() are not supported"),
    ("SELECT toLabel(Industry) FROM Account", "functions in SELECT (toLabel) are not supported"),
    ("SELECT Id FROM Account GROUP BY Name", "unexpected token: 'GROUP'"),
    ("SELECT Id FROM Account a", "unexpected token: 'a'"),
    ("SELECT Id FROM Account WHERE Name = :name", "unexpected token: ':'"),
    ("SELECT Id FROM Account WHERE Name = 'a' OR Name = 'b' AND Name = 'c'",
     "unexpected token: 'AND'"),
    ("SELECT Account.Owner.Manager.Manager.Manager.Manager.Name FROM Opportunity",
     "a field path may follow at most 5 relationships"),
    ("SELECT Id FROM Account WHERE Name = 'a' # x", "no viable alternative at character '#'"),
    ("DELETE FROM Account", "unexpected token: 'DELETE'"),
])
def test_malformed_query(soql: str, reason: str) -> None:
    caught = error(soql)
    assert caught.error_code == "MALFORMED_QUERY"
    assert reason in caught.message


def test_malformed_record_id_in_a_filter() -> None:
    caught = error("SELECT Id FROM Opportunity WHERE AccountId IN ('cus_123')")
    assert caught.error_code == "INVALID_QUERY_FILTER_OPERATOR"
    assert caught.message.endswith("\ninvalid ID field: cus_123")
