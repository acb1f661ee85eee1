"""Code columns: closed lists are enforced, open lists keep unknown codes with one warning."""

from __future__ import annotations

from pathlib import Path

import pytest

from sfo.errors import BundleInvalid
from sfo.importers import load_bundle
from sfo.importers.codes import default_codes
from tests.factories import minimal_bundle_rows, write_bundle

# Every code the data contract's "Code lists" names, and those the rule table uses.
CONTRACT_CONTACT_TYPES = frozenset({
    "COAI", "COHV", "COTI", "COAP", "COPT", "COVC", "CHVS", "C084", "C444", "C002", "MO1",
    "MO3", "MO5", "C416", "CSPO", "SPOD03", "CCMM", "CCMR", "C005", "C204", "C369", "C515",
    "CARR", "CNOC", "SFGC", "SFRR", "C158", "C078", "C004", "C057", "CSPR", "AWLI", "AWL2",
    "AWLF", "AIBR", "ABRQ", "ARWS", "C041", "RECI", "C286", "C421", "C288", "PPCS", "ERCL",
    "EREL", "ECOM", "ETER", "ROC", "ERGN", "IOHV", "RROD", "RECDI", "MRD01", "SPOD02", "AWLS",
})
CONTRACT_OUTCOMES = frozenset({
    "ATTC", "AFTC", "ATSH", "UAAB", "AFTA", "AAAA", "AASD", "CO05", "RSSR", "RSOF",
})
CONTRACT_ENFORCEMENT = frozenset({"EA02", "EA03", "IBR", "IMB", "NFA", "ROM"})
CONTRACT_REGISTERS = frozenset({
    "RLRH", "RMRH", "RHRH", "RVHR", "MAPP", "NOTMAPPA", "ADVP", "ADVV", "RCCO", "RCPR", "RCHD",
    "AV2S", "IRMO", "ALSH", "WEAP", "STRG",
})


def test_the_shipped_code_lists_hold_every_code_of_the_contract() -> None:
    codes = default_codes()
    assert codes.known["contact_types"] >= CONTRACT_CONTACT_TYPES
    assert codes.known["outcomes"] >= CONTRACT_OUTCOMES
    assert codes.known["enforcement_actions"] >= CONTRACT_ENFORCEMENT
    assert codes.known["register_types"] >= CONTRACT_REGISTERS
    assert codes.national_standard_default == {
        "COAI", "COHV", "COTI", "COAP", "COPT", "COVC", "CHVS", "C084", "C444"}


def test_unknown_contact_codes_are_kept_with_one_warning_counting_them(tmp_path: Path) -> None:
    tables = minimal_bundle_rows()
    tables["contacts"][0]["type_code"] = "zzz1"
    tables["contacts"][1]["type_code"] = "ZZZ1 "
    tables["contacts"][3]["type_code"] = "QQ9"
    records = load_bundle(write_bundle(tmp_path / "b", tables))
    assert records.contacts["type_code"].tolist() == ["ZZZ1", "ZZZ1", "COHV", "QQ9"]
    assert records.warnings == (
        "contacts.csv: 3 rows have type_code values not in the code list, treated as "
        "'other': ZZZ1 (2), QQ9 (1)",
    )


def test_unknown_register_type_and_outcome_are_warned_per_column(tmp_path: Path) -> None:
    tables = minimal_bundle_rows()
    tables["registrations"][0]["type_code"] = "LOCAL1"
    tables["contacts"][0]["outcome_code"] = "XYZ"
    records = load_bundle(write_bundle(tmp_path / "b", tables))
    assert records.registrations["type_code"].iloc[0] == "LOCAL1"
    assert sorted(records.warnings) == [
        "contacts.csv: 1 row has outcome_code values not in the code list, treated as "
        "'other': XYZ (1)",
        "registrations.csv: 1 row has type_code values not in the code list, treated as "
        "'other': LOCAL1 (1)",
    ]


def test_closed_codes_are_matched_ignoring_case_and_stored_as_listed(tmp_path: Path) -> None:
    tables = minimal_bundle_rows()
    tables["events"][0]["sentence_type"] = " Community_Order"
    tables["staff"][0]["grade"] = "po"
    tables["training"][0]["status"] = "COMPLETED"
    tables["assessments"][0]["rosh_overall"] = "very_high"
    records = load_bundle(write_bundle(tmp_path / "b", tables))
    assert records.events["sentence_type"].iloc[0] == "community_order"
    assert records.staff["grade"].iloc[0] == "PO"
    assert records.training["status"].iloc[0] == "completed"
    assert records.assessments["rosh_overall"].iloc[0] == "VERY_HIGH"


def test_a_value_outside_a_closed_list_is_an_error(tmp_path: Path) -> None:
    tables = minimal_bundle_rows()
    tables["staff"][1]["grade"] = "Trainee"
    with pytest.raises(BundleInvalid) as err:
        load_bundle(write_bundle(tmp_path / "b", tables))
    assert [str(p) for p in err.value.problems] == [
        "staff.csv, row 3, column 'grade': 'Trainee' is not one of: PSO, PQIP, PO, SPO, OTHER"
    ]


def test_requirements_list_is_normalised(tmp_path: Path) -> None:
    tables = minimal_bundle_rows()
    tables["events"][0]["requirements"] = " Curfew ; RAR;;Alcohol_Treatment; "
    records = load_bundle(write_bundle(tmp_path / "b", tables))
    assert records.events["requirements"].iloc[0] == "curfew;rar;alcohol_treatment"
