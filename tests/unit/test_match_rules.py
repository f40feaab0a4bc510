"""Rule files: loading, validation errors, shorthand and registries."""

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from mdm.match import RulesError, comparison_levels, level_kinds, load_rules, parse_rules

RULES_DIR = Path(__file__).resolve().parents[2] / "rules"

MINIMAL = """
domain: customer
blocking:
  keys: [[email]]
comparisons:
  - name: email
    levels: [null, exact, else]
thresholds: {auto_merge: 0.9, review: 0.5}
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "customer.yaml"
    path.write_text(text)
    return path


@pytest.mark.parametrize("domain", ["customer", "item"])
def test_default_rules_load(domain):
    rules = load_rules(RULES_DIR / f"{domain}.yaml")
    assert rules.domain == domain
    assert rules.comparisons and rules.blocking.keys


def test_minimal_rule_file_loads(tmp_path):
    rules = load_rules(write(tmp_path, MINIMAL))
    assert rules.comparison_names == ["email"]
    assert rules.prior == "estimate"


def test_error_names_file_path_and_reason_for_bad_threshold(tmp_path):
    text = MINIMAL.replace("levels: [null, exact, else]", "levels: [null, {kind: jaro_winkler, threshold: high}, else]")
    path = write(tmp_path, text)
    with pytest.raises(RulesError) as error:
        load_rules(path)
    assert error.value.file == str(path)
    assert error.value.path == "comparisons[0].levels[1].threshold"
    assert "number" in error.value.reason
    assert str(path) in str(error.value) and "comparisons[0].levels[1].threshold" in str(error.value)


def test_error_for_missing_threshold_names_the_level(tmp_path):
    with pytest.raises(RulesError) as error:
        load_rules(write(tmp_path, MINIMAL.replace("[null, exact, else]", "[null, jaro_winkler, else]")))
    assert error.value.path == "comparisons[0].levels[1]"
    assert "needs a threshold" in error.value.reason


def test_error_for_unknown_level_kind_lists_known_kinds(tmp_path):
    with pytest.raises(RulesError) as error:
        load_rules(write(tmp_path, MINIMAL.replace("exact, else", "fuzzy_magic >= 0.9, else")))
    assert "unknown level kind 'fuzzy_magic'" in error.value.reason
    assert "jaro_winkler" in error.value.reason


def test_error_for_unknown_feature_function(tmp_path):
    text = MINIMAL + "features:\n  surname_dm: {fn: double_metaphone_typo, of: family_name}\n"
    with pytest.raises(RulesError) as error:
        load_rules(write(tmp_path, text))
    assert error.value.path == "features.surname_dm.fn"


def test_error_for_unknown_column(tmp_path):
    with pytest.raises(RulesError) as error:
        load_rules(write(tmp_path, MINIMAL.replace("[[email]]", "[[emial]]")))
    assert "unknown column 'emial'" in error.value.reason


def test_error_when_last_level_is_not_else(tmp_path):
    with pytest.raises(RulesError) as error:
        load_rules(write(tmp_path, MINIMAL.replace("[null, exact, else]", "[null, exact]")))
    assert error.value.path == "comparisons[0].levels"
    assert "'else'" in error.value.reason


def test_error_for_missing_section(tmp_path):
    with pytest.raises(RulesError) as error:
        load_rules(write(tmp_path, MINIMAL.replace("thresholds: {auto_merge: 0.9, review: 0.5}", "")))
    assert error.value.path == "thresholds"
    assert error.value.reason == "required field is missing"


def test_yaml_syntax_error_reports_line(tmp_path):
    with pytest.raises(RulesError) as error:
        load_rules(write(tmp_path, MINIMAL + "comparisons: [\n  - oops: {\n"))
    assert error.value.path.startswith("line ")
    assert "invalid YAML" in error.value.reason


def test_level_shorthands_parse_to_full_form():
    rules = parse_rules(
        {
            "domain": "customer",
            "blocking": {"keys": [["email"]]},
            "comparisons": [
                {
                    "name": "given_name",
                    "levels": [None, "exact", "jaro_winkler >= 0.9", {"levenshtein": 2}, {"exact_on": "family_name"}, "else"],
                }
            ],
            "thresholds": {"auto_merge": 0.9, "review": 0.5},
        }
    )
    levels = rules.comparisons[0].levels
    assert [lv.kind for lv in levels] == ["null", "exact", "jaro_winkler", "levenshtein", "exact", "else"]
    assert levels[2].threshold == 0.9 and levels[3].threshold == 2
    assert levels[4].column == "family_name"
    assert levels[2].name == "jaro_winkler >= 0.9"


def test_new_level_kind_is_one_function_and_one_registration():
    @level_kinds.register("same_first_letter")
    def same_first_letter(values, left, right, threshold=None):
        first = np.array([v[:1] for v in values], dtype=object)
        return first[left] == first[right]

    rules = parse_rules(
        {
            "domain": "customer",
            "blocking": {"keys": [["email"]]},
            "comparisons": [{"name": "family_name", "levels": ["null", "exact", "same_first_letter", "else"]}],
            "thresholds": {"auto_merge": 0.9, "review": 0.5},
        }
    )
    df = pd.DataFrame({"family_name": ["Smith", "Smyth", "Jones"]}, index=pd.Index([1, 2, 3], dtype="int64"))
    levels = comparison_levels(df, np.array([1, 1]), np.array([2, 3]), rules)
    assert levels[:, 0].tolist() == [2, 3]


def test_sections_for_other_concerns_are_ignored(tmp_path):
    text = MINIMAL + "sources:\n  ERP: {trust: 0.9}\nsurvivorship:\n  default: [most_recent]\n"
    assert load_rules(write(tmp_path, text)).comparison_names == ["email"]


def test_blocking_key_long_form_names_columns_and_training():
    rules = parse_rules(
        {
            "domain": "customer",
            "blocking": {"keys": [["email"], {"columns": ["city"], "train": False, "name": "town"}]},
            "comparisons": [{"name": "email", "levels": ["null", "exact", "else"]}],
            "thresholds": {"auto_merge": 0.9, "review": 0.5},
        }
    )
    first, second = rules.blocking.keys
    assert (first.name, first.columns, first.train) == ("email", ["email"], True)
    assert (second.name, second.columns, second.train) == ("town", ["city"], False)


def test_blocked_comparisons_follow_features_back_to_their_fields():
    rules = parse_rules(
        {
            "domain": "customer",
            "features": {"surname_ph": {"fn": "metaphone", "of": "family_name"}, "zip5": {"fn": "zip5", "of": "postal_code"}},
            "blocking": {"keys": [["surname_ph", "zip5"], ["email"]]},
            "comparisons": [
                {"name": "family_name", "levels": ["null", "exact", "else"]},
                {"name": "postal_code", "levels": ["null", {"exact_on": "zip5"}, "else"]},
                {"name": "email", "levels": ["null", "exact", "else"]},
            ],
            "thresholds": {"auto_merge": 0.9, "review": 0.5},
        }
    )
    assert rules.blocked_comparisons().tolist() == [[True, True, False], [False, False, True]]


def test_conflict_threshold_may_not_exceed_review(tmp_path):
    with pytest.raises(RulesError) as error:
        load_rules(write(tmp_path, MINIMAL.replace("review: 0.5}", "review: 0.5, conflict: 0.7}")))
    assert error.value.path == "thresholds"
    assert "conflict must not exceed review" in error.value.reason
