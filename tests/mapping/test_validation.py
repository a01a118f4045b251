"""`mappings check`: the shipped files are valid, and each kind of mistake has its exact message."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from connector.errors import ConfigError
from connector.mapping import DataModel, check_mappings, load_mappings
from connector.mapping.subscription_fields import ROLES

from .conftest import REPO, Edit

OPP = "opportunity_to_subscription.toml"
S2S = "stripe_to_subscription.toml"
SUB = "subscription_to_stripe.toml"
ACC = "account_to_customer.toml"
CAT = "catalog.toml"
FLD = "subscription_fields.toml"


def _check(directory: Path, model: DataModel) -> list[str]:
    return [str(problem) for problem in check_mappings(directory, model)]


def test_shipped_mappings_are_valid_against_the_fixture_model(model: DataModel) -> None:
    assert _check(REPO / "mappings", model) == []


def test_shipped_mappings_are_valid_against_the_shipped_salesforce_metadata() -> None:
    salesforce = REPO / "salesforce"
    if not list(salesforce.glob("**/objects/*/fields/*.field-meta.xml")):
        pytest.skip("salesforce/ holds no SFDX field metadata yet")
    assert _check(REPO / "mappings", DataModel.offline(salesforce)) == []


MISTAKES = [
    pytest.param(
        OPP,
        'transform = ["upper"]',
        'transform = ["uper"]',
        "mappings/opportunity_to_subscription.toml:51: fields.Currency__c.transform[0]: "
        "unknown transform 'uper' (did you mean 'upper'?)",
        id="unknown-transform",
    ),
    pytest.param(
        OPP,
        "[fields.Quantity__c]",
        "[fields.Quantity_c]",
        "mappings/opportunity_to_subscription.toml:41: fields.Quantity_c: "
        "Subscription__c has no field 'Quantity_c' (did you mean 'Quantity__c'?)",
        id="unknown-target-field",
    ),
    pytest.param(
        OPP,
        'from = "Quantity"',
        'from = "Quantiy"',
        "mappings/opportunity_to_subscription.toml:42: fields.Quantity__c.from: "
        "OpportunityLineItem has no field 'Quantiy' (did you mean 'Quantity'?)",
        id="unknown-source-field",
    ),
    pytest.param(
        OPP,
        'from = "Opportunity.AccountId"',
        'from = "Opportunity.Acount.Id"',
        "mappings/opportunity_to_subscription.toml:33: fields.Account__c.from: "
        "Opportunity has no relationship 'Acount' (did you mean 'Account'?)",
        id="unknown-relationship",
    ),
    pytest.param(
        OPP,
        'from = "Quantity"',
        'from = "Quantity.Name"',
        "mappings/opportunity_to_subscription.toml:42: fields.Quantity__c.from: "
        "OpportunityLineItem.Quantity is a double field, not a relationship, "
        "so it cannot be followed",
        id="path-through-non-reference",
    ),
    pytest.param(
        OPP,
        'from = "Opportunity.AccountId"',
        'from = "Opportunity.AccountId.Name"',
        "mappings/opportunity_to_subscription.toml:33: fields.Account__c.from: "
        "'AccountId' is a reference field holding an id; follow its relationship 'Account' "
        "instead",
        id="path-through-id-field",
    ),
    pytest.param(
        SUB,
        'from = "Trial_End_Date__c"',
        'from = "Trial_End_Date__c"\nowner = "stripee"',
        "mappings/subscription_to_stripe.toml:30: fields.trial_end.owner: "
        "unknown owner 'stripee' (did you mean 'stripe'?); "
        "choose one of salesforce, stripe, ledger, latest",
        id="unknown-owner",
    ),
    pytest.param(
        OPP,
        'default_owner = "salesforce"',
        'default_owner = "salesforc"',
        "mappings/opportunity_to_subscription.toml:24: mapping.default_owner: "
        "unknown owner 'salesforc' (did you mean 'salesforce'?); "
        "choose one of salesforce, stripe, ledger, latest",
        id="unknown-default-owner",
    ),
    pytest.param(
        OPP,
        'per = "line_item"',
        'per = "lineitem"',
        "mappings/opportunity_to_subscription.toml:23: mapping.per: unknown value 'lineitem' "
        "(did you mean 'line_item'?); choose one of line_item, opportunity",
        id="unknown-per",
    ),
    pytest.param(
        OPP,
        '[fields.Quantity__c]\nfrom = "Quantity"',
        '[fields.Quantity__c]\nfrm = "Quantity"',
        "mappings/opportunity_to_subscription.toml:42: fields.Quantity__c.frm: "
        "unknown key (did you mean 'from'?)",
        id="unknown-key",
    ),
    pytest.param(
        CAT,
        "[overrides]",
        "[overides]",
        "mappings/catalog.toml:13: overides: unknown key (did you mean 'overrides'?)",
        id="unknown-table",
    ),
    pytest.param(
        OPP,
        'const = "Potential"',
        'const = "Potential"\nfrom = "Quantity"',
        "mappings/opportunity_to_subscription.toml:64: fields.Status__c.const: "
        "give exactly one of from, const, template, link; found from, const",
        id="two-value-sources",
    ),
    pytest.param(
        OPP,
        '[fields.Status__c]\nconst = "Potential"',
        '[fields.Status__c]\nowner = "ledger"',
        "mappings/opportunity_to_subscription.toml:63: fields.Status__c: "
        "no value: give one of from, const, template or link (or a default)",
        id="no-value-source",
    ),
    pytest.param(
        S2S,
        'on_unknown = "error", ',
        "",
        "mappings/stripe_to_subscription.toml:28: fields.Status__c.transform[0]: "
        'map needs default = <value> or on_unknown = "error" for values it does not list',
        id="map-without-default",
    ),
    pytest.param(
        OPP,
        'from = "Quantity"',
        'from = "Quantity"\ntransform = [{ fn = "decimal", place = 2 }]',
        "mappings/opportunity_to_subscription.toml:43: fields.Quantity__c.transform[0].place: "
        "unknown option of decimal (did you mean 'places'?)",
        id="unknown-transform-option",
    ),
    pytest.param(
        OPP,
        'transform = ["date"]',
        'transform = [{ fn = "date", format = "%Y" }]',
        "mappings/opportunity_to_subscription.toml:55: fields.Start_Date__c.transform[0].format: "
        "date takes no options",
        id="option-of-option-less-transform",
    ),
    pytest.param(
        S2S,
        'transform = [{ fn = "mrr", currency_from = "currency" }]',
        'transform = ["mrr"]',
        "mappings/stripe_to_subscription.toml:41: fields.MRR__c.transform[0]: "
        'mrr needs currency = "<code>" or currency_from = "<path>", e.g. currency = "USD"',
        id="money-without-currency",
    ),
    pytest.param(
        OPP,
        'target = "Subscription__c"',
        'target = "Subscripton__c"',
        "mappings/opportunity_to_subscription.toml:22: mapping.target: "
        "unknown object 'Subscripton__c' (did you mean 'Subscription__c'?)",
        id="unknown-object",
    ),
    pytest.param(
        OPP,
        "[fields.Status__c]",
        '[fields.Name]\nconst = "x"\n\n[fields.Status__c]',
        "mappings/opportunity_to_subscription.toml:63: fields.Name: Subscription__c.Name "
        "cannot be written: Salesforce calculates or maintains it (not createable)",
        id="write-autonumber",
    ),
    pytest.param(
        S2S,
        "[fields.MRR__c]",
        '[fields.Total_Value__c]\nfrom = "items.data.0.quantity"\n\n[fields.MRR__c]',
        "mappings/stripe_to_subscription.toml:39: fields.Total_Value__c: "
        "Subscription__c.Total_Value__c cannot be written: Salesforce calculates or maintains "
        "it (not updateable)",
        id="write-formula",
    ),
    pytest.param(
        OPP,
        "[fields.Status__c]",
        '[fields.Cancel_At_Period_End__c]\nfrom = "ServiceDate"\ntransform = ["date"]\n\n'
        "[fields.Status__c]",
        "mappings/opportunity_to_subscription.toml:65: "
        "fields.Cancel_At_Period_End__c.transform[0]: transform 'date' gives a date, "
        "but Subscription__c.Cancel_At_Period_End__c takes true/false",
        id="date-into-checkbox",
    ),
    pytest.param(
        SUB,
        'transform = ["unix_seconds"]',
        'transform = ["date"]',
        "mappings/subscription_to_stripe.toml:30: fields.trial_end.transform[0]: "
        "transform 'date' gives a date, but the Stripe subscription parameter 'trial_end' "
        "takes a number",
        id="date-into-stripe-timestamp",
    ),
    pytest.param(
        OPP,
        'const = "Potential"',
        'const = "Potnetial"',
        "mappings/opportunity_to_subscription.toml:64: fields.Status__c.const: "
        "'Potnetial' is not a value of the picklist Subscription__c.Status__c "
        "(did you mean 'Potential'?); values: Potential, Active, Trialing, Past Due, Canceled, "
        "Expired",
        id="picklist-const",
    ),
    pytest.param(
        S2S,
        'trialing = "Trialing"',
        'trialing = "Trial"',
        "mappings/stripe_to_subscription.toml:28: fields.Status__c.transform[0].values.trialing: "
        "'Trial' is not a value of the picklist Subscription__c.Status__c "
        "(did you mean 'Trialing'?); values: Potential, Active, Trialing, Past Due, Canceled, "
        "Expired",
        id="picklist-map-value",
    ),
    pytest.param(
        OPP,
        'when = "IsWon or',
        'when = "IsWonn or',
        "mappings/opportunity_to_subscription.toml:30: trigger.when: "
        "Opportunity has no field 'IsWonn' (did you mean 'IsWon'?)",
        id="trigger-unknown-field",
    ),
    pytest.param(
        OPP,
        'when = "IsWon or Create_Potential_Subscription__c"',
        'when = "IsWon or"',
        "mappings/opportunity_to_subscription.toml:30: trigger.when: "
        "invalid expression: invalid syntax",
        id="trigger-syntax-error",
    ),
    pytest.param(
        OPP,
        'when = "IsWon or Create_Potential_Subscription__c"',
        'when = "exec(IsWon)"',
        "mappings/opportunity_to_subscription.toml:30: trigger.when: "
        "unknown function 'exec'; allowed: date, days, len, lower, today, upper",
        id="trigger-forbidden-function",
    ),
    pytest.param(
        S2S,
        'from = "status"',
        'from = "stauts"',
        "mappings/stripe_to_subscription.toml:22: fields.Status__c.from: "
        "a Stripe subscription has no field 'stauts' (did you mean 'status'?)",
        id="stripe-source-field",
    ),
    pytest.param(
        SUB,
        "[fields.items.0.quantity]",
        "[fields.items.0.quantiy]",
        "mappings/subscription_to_stripe.toml:23: fields.items.0.quantiy: "
        "Stripe subscription parameters have no 'items.0.quantiy' "
        "(did you mean 'items.0.quantity'?)",
        id="stripe-parameter",
    ),
    pytest.param(
        SUB,
        'system = "stripe", object = "customer"',
        'system = "strpe", object = "customer"',
        "mappings/subscription_to_stripe.toml:16: fields.customer.link.system: "
        "unknown system 'strpe' (did you mean 'stripe'?); choose one of salesforce, stripe, ledger",
        id="link-system",
    ),
    pytest.param(
        ACC,
        "{Name} (Salesforce account {Id})",
        "{Name} ({Nmae})",
        "mappings/account_to_customer.toml:20: fields.description.template: "
        "Account has no field 'Nmae' (did you mean 'Name'?)",
        id="template-field",
    ),
    pytest.param(
        CAT,
        '"{ProductCode}"',
        '"{ProductCod}"',
        "mappings/catalog.toml:11: catalog.lookup_key: "
        "Product2 has no field 'ProductCod' (did you mean 'ProductCode'?)",
        id="catalog-template-field",
    ),
    pytest.param(
        OPP,
        'from = "Quantity"',
        'from = "Quantity"\ntransform = ["upper"]',
        "mappings/opportunity_to_subscription.toml:43: fields.Quantity__c.transform[0]: "
        "upper takes text, but gets a number from OpportunityLineItem.Quantity",
        id="transform-input-kind",
    ),
    pytest.param(
        OPP,
        'per = "line_item"',
        'per = "line_item',
        "mappings/opportunity_to_subscription.toml:23: not valid TOML: Illegal character '\\n'",
        id="toml-syntax",
    ),
    pytest.param(
        S2S,
        'from = "id"',
        "from = 3",
        "mappings/stripe_to_subscription.toml:16: fields.Stripe_Subscription_Id__c.from: "
        "must be a path (text) or a list of paths",
        id="wrong-type",
    ),
]


MISTAKES += [
    pytest.param(
        ACC,
        "[mapping]\n",
        "[mappin]\n",
        "mappings/account_to_customer.toml: mapping: required table [mapping] is missing",
        id="missing-table",
    ),
    pytest.param(
        S2S,
        'on_unknown = "error"',
        'on_unknown = "error", default = "Active"',
        "mappings/stripe_to_subscription.toml:28: fields.Status__c.transform[0]: "
        'map takes default = <value> or on_unknown = "error", not both',
        id="map-default-and-error",
    ),
    pytest.param(
        SUB,
        "default = false",
        'default = "no"',
        "mappings/subscription_to_stripe.toml:34: fields.cancel_at_period_end.default: "
        "default 'no' gives text, but the Stripe subscription parameter "
        "'cancel_at_period_end' takes true/false",
        id="text-default-into-boolean",
    ),
    pytest.param(
        SUB,
        'from = "Product__r.ProductCode"',
        'from = "Id"',
        "mappings/subscription_to_stripe.toml:21: fields.items.0.price.transform[1]: "
        "lookup_key reads a product: from must be a Product2 field such as "
        "Product__r.ProductCode",
        id="lookup-key-without-product",
    ),
    pytest.param(
        OPP,
        'per = "line_item"',
        'per = "line_item"\nfilter = "Quantityy > 0"',
        "mappings/opportunity_to_subscription.toml:24: mapping.filter: "
        "OpportunityLineItem has no field 'Quantityy' (did you mean 'Quantity'?)",
        id="filter-unknown-field",
    ),
    pytest.param(
        ACC,
        'system = "ledger"',
        'system = "ledger", object = 3',
        "mappings/account_to_customer.toml:26: fields.metadata.ledger_id.link.object: "
        "must be text (in quotes)",
        id="link-option-type",
    ),
    pytest.param(
        CAT,
        '# "LEGACY-PRO" = "pro_monthly_2024"',
        '"LEGACY-PRO" = ""',
        "mappings/catalog.toml:15: overrides.LEGACY-PRO: a lookup key has 1 to 200 characters",
        id="empty-override",
    ),
    pytest.param(
        OPP,
        'when = "IsWon or Create_Potential_Subscription__c"',
        'when = "IsWon or Create_Potential_Subscripton__c"',
        "mappings/opportunity_to_subscription.toml:30: trigger.when: Opportunity has no field "
        "'Create_Potential_Subscripton__c' (did you mean 'Create_Potential_Subscription__c'?)",
        id="misspelt-trigger-checkbox",
    ),
    pytest.param(
        ACC,
        'target = "stripe.customer"\n',
        "",
        "mappings/account_to_customer.toml:10: mapping.target: required key is missing",
        id="missing-required-key",
    ),
    pytest.param(
        SUB,
        '[fields.metadata.salesforce_id]\nfrom = "Id"\n',
        '[fields.metadata.salesforce_id]\nfrom = "Id"\n\n[fields."metadata.salesforce_id"]\n'
        'from = "Name"\n',
        "mappings/subscription_to_stripe.toml:39: fields.metadata.salesforce_id: is mapped twice",
        id="duplicate-target",
    ),
    pytest.param(
        OPP,
        "[fields.Status__c]",
        "[fields.Quantity__c]",
        "mappings/opportunity_to_subscription.toml:63: not valid TOML: "
        "Cannot declare ('fields', 'Quantity__c') twice",
        id="duplicate-table",
    ),
    pytest.param(
        S2S,
        'transform = ["date_from_unix"]',
        'transform = ["date_from_unix", "upper"]',
        "mappings/stripe_to_subscription.toml:33: fields.Next_Renewal_Date__c.transform[1]: "
        "upper takes text, but gets a date from transform 'date_from_unix'",
        id="pipeline-step-kind",
    ),
    pytest.param(
        FLD,
        'quantity = "Quantity__c"',
        'quantity = "Seats__c"',
        "mappings/subscription_fields.toml:19: fields.quantity: "
        "Subscription__c has no field 'Seats__c' (did you mean 'Status__c'?)",
        id="role-field-not-in-org",
    ),
    pytest.param(
        FLD,
        'status = "Status__c"',
        'stauts = "Status__c"',
        "mappings/subscription_fields.toml:18: fields.stauts: unknown role 'stauts' (did you "
        "mean 'status'?); the roles are " + ", ".join(ROLES),
        id="unknown-role",
    ),
    pytest.param(
        FLD,
        'start_date = "Start_Date__c"',
        'start_date = "Term_Months__c"',
        "mappings/subscription_fields.toml:22: fields.start_date: Term_Months__c is a double "
        "field; start_date (when billing starts) needs a date field",
        id="role-field-of-the-wrong-kind",
    ),
    pytest.param(
        FLD,
        'csm = "CSM__c"',
        'csm = "Stripe_Customer_Id__c"',
        "mappings/subscription_fields.toml:25: fields.csm: Stripe_Customer_Id__c is a string "
        "field; csm (the Customer Success Manager (User)) needs a lookup",
        id="role-needs-a-lookup",
    ),
    pytest.param(
        FLD,
        'ledger_id = "Ledger_Id__c"',
        'ledger_id = "Stripe_Subscription_Id__c"',
        "mappings/subscription_fields.toml:32: fields.stripe_subscription_id: "
        "Stripe_Subscription_Id__c already holds ledger_id; each role needs its own field",
        id="one-field-for-two-roles",
    ),
]


@pytest.mark.parametrize(("file", "old", "new", "expected"), MISTAKES)
def test_each_mistake_is_reported_with_its_exact_message(
    mappings_dir: Path, edit: Edit, model: DataModel, file: str, old: str, new: str, expected: str
) -> None:
    edit(file, old, new)
    assert expected in _check(mappings_dir, model)


def test_every_problem_is_reported_at_once(
    mappings_dir: Path, edit: Edit, model: DataModel
) -> None:
    edit(OPP, 'transform = ["upper"]', 'transform = ["uper"]')
    edit(OPP, 'const = "Potential"', 'const = "Potnetial"')
    edit(S2S, 'from = "status"', 'from = "stauts"')
    edit(CAT, '"{ProductCode}"', '"{ProductCod}"')
    problems = _check(mappings_dir, model)
    assert [p.split(":")[0] for p in problems] == [
        "mappings/catalog.toml",
        "mappings/opportunity_to_subscription.toml",
        "mappings/opportunity_to_subscription.toml",
        "mappings/stripe_to_subscription.toml",
    ]


def test_an_invalid_transform_on_an_input_kind_also_reports_the_output(
    mappings_dir: Path, edit: Edit, model: DataModel
) -> None:
    edit(OPP, 'from = "Quantity"', 'from = "Quantity"\ntransform = ["upper"]')
    assert _check(mappings_dir, model) == [
        "mappings/opportunity_to_subscription.toml:43: fields.Quantity__c.transform[0]: "
        "upper takes text, but gets a number from OpportunityLineItem.Quantity",
        "mappings/opportunity_to_subscription.toml:43: fields.Quantity__c.transform[0]: "
        "transform 'upper' gives text, but Subscription__c.Quantity__c takes a number",
    ]


def test_a_missing_file_and_an_unknown_file_are_named(mappings_dir: Path, model: DataModel) -> None:
    (mappings_dir / CAT).rename(mappings_dir / "catalogue.toml")
    assert _check(mappings_dir, model) == [
        "mappings/catalog.toml: required mapping file is missing",
        "mappings/catalogue.toml: unknown mapping file (did you mean 'catalog.toml'?); the "
        "mapping files are opportunity_to_subscription.toml, account_to_customer.toml, "
        "subscription_to_stripe.toml, stripe_to_subscription.toml, catalog.toml, "
        "subscription_fields.toml, license.toml",
    ]


def test_a_source_object_fixed_by_the_file_is_enforced(
    mappings_dir: Path, edit: Edit, model: DataModel
) -> None:
    edit(ACC, 'source = "Account"', 'source = "Contact"')
    assert _check(mappings_dir, model) == [
        "mappings/account_to_customer.toml:11: mapping.source: must be 'Account' in "
        "account_to_customer.toml",
    ]


def test_a_transform_needing_options_written_as_a_name(
    mappings_dir: Path, edit: Edit, model: DataModel
) -> None:
    edit(OPP, 'transform = ["upper"]', 'transform = ["map"]')
    assert _check(mappings_dir, model) == [
        "mappings/opportunity_to_subscription.toml:51: fields.Currency__c.transform[0]: "
        'map needs options; write { fn = "map", values = ... }',
    ]


def test_lines_are_found_in_multi_line_arrays(
    mappings_dir: Path, edit: Edit, model: DataModel
) -> None:
    edit(OPP, 'transform = ["date"]', 'transform = [\n  "date",  # first\n  "sf_dat",\n]')
    assert _check(mappings_dir, model) == [
        "mappings/opportunity_to_subscription.toml:57: fields.Start_Date__c.transform[1]: "
        "unknown transform 'sf_dat' (did you mean 'sf_date'?)",
    ]


def test_quoted_dotted_targets_equal_nested_tables(
    mappings_dir: Path, edit: Edit, model: DataModel
) -> None:
    edit(SUB, "[fields.metadata.salesforce_id]", '[fields."metadata.salesforce_id"]')
    assert _check(mappings_dir, model) == []
    edit(SUB, '[fields."metadata.salesforce_id"]', '[fields."metadata.salesforce_ids"]')
    edit(SUB, 'from = "Id"', 'from = "Idd"')
    assert _check(mappings_dir, model) == [
        "mappings/subscription_to_stripe.toml:40: fields.metadata.salesforce_ids.from: "
        "Subscription__c has no field 'Idd' (did you mean 'Id'?)"
    ]


def test_load_mappings_raises_config_error_listing_every_problem(
    mappings_dir: Path, edit: Edit, model: DataModel
) -> None:
    edit(OPP, 'per = "line_item"', 'per = "lineitem"')
    edit(S2S, 'from = "status"', 'from = "stauts"')
    with pytest.raises(ConfigError) as caught:
        load_mappings(mappings_dir, model)
    assert caught.value.problems == _check(mappings_dir, model)
    assert len(caught.value.problems) == 2


def test_a_missing_folder_is_one_problem(tmp_path: Path, model: DataModel) -> None:
    assert _check(tmp_path / "nowhere", model) == [
        f"{tmp_path / 'nowhere'}: mappings folder not found"
    ]


def test_a_role_left_out_must_exist_under_its_shipped_name(
    mappings_dir: Path, edit: Edit, model: DataModel
) -> None:
    edit(FLD, 'quantity = "Quantity__c"\n', "")
    edit(FLD, 'status = "Status__c"', 'status = "Quantity__c"')

    assert _check(mappings_dir, model) == [
        "mappings/subscription_fields.toml:16: fields: Quantity__c already holds status; each "
        "role needs its own field",
        "mappings/subscription_fields.toml:18: fields.status: Quantity__c is a double field; "
        "status (Potential, Active, Trialing, Past Due, ...) needs a text or picklist field",
    ]


def test_renamed_fields_are_read_and_written_in_the_orgs_names(
    mappings_dir: Path, edit: Edit, model: DataModel
) -> None:
    edit(FLD, 'account = "Account__c"', 'account = "Opportunity__c"')
    edit(FLD, 'opportunity = "Opportunity__c"', 'opportunity = "Account__c"')

    names = load_mappings(mappings_dir, model).subscription_fields

    assert names.org("Account__c") == "Opportunity__c"
    assert names.org("Account__r.Name") == "Opportunity__r.Name"
    assert names.from_org({"Opportunity__c": "006", "Account__c": "001", "Name": "x"}) == {
        "Account__c": "006", "Opportunity__c": "001", "Name": "x"}
    assert names.outbound("Subscription__c", {"Ledger_Id__c": "L", "Account__c": "001"}) == {
        "Ledger_Id__c": "L", "Opportunity__c": "001"}
    assert names.key_field("Subscription__c") == "Ledger_Id__c"


def test_a_role_left_out_of_an_org_without_its_shipped_field_is_named(
    mappings_dir: Path, edit: Edit, model: DataModel
) -> None:
    edit(FLD, 'sync_error = "Sync_Error__c"', "")
    subscription = model.objects["Subscription__c"]
    org = replace(model, objects={**model.objects, "Subscription__c": replace(
        subscription, fields={k: v for k, v in subscription.fields.items()
                              if k != "Sync_Error__c"})})

    assert _check(mappings_dir, org) == [
        "mappings/subscription_fields.toml:16: fields: sync_error is not given, so it is the "
        "shipped Sync_Error__c, but Subscription__c has no field 'Sync_Error__c'",
    ]
