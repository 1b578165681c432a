"""The strict environment readers behind settings.py."""

from pathlib import Path

import pytest

from portal.env import ConfigurationError, env_bool, env_int, env_list, env_secret, env_str


@pytest.mark.parametrize("raw", ["true", "TRUE", "1", "yes", "On", " true "])
def test_it_reads_true_in_its_usual_spellings(raw):
    assert env_bool("X", default=False, environ={"X": raw}) is True


@pytest.mark.parametrize("raw", ["false", "0", "no", "OFF"])
def test_it_reads_false_in_its_usual_spellings(raw):
    assert env_bool("X", default=True, environ={"X": raw}) is False


@pytest.mark.parametrize("raw", ["ture", "flase", "2", "enabled", "y"])
def test_it_refuses_a_boolean_typo_and_names_the_variable(raw):
    with pytest.raises(ConfigurationError, match="DJANGO_DEBUG"):
        env_bool("DJANGO_DEBUG", default=False, environ={"DJANGO_DEBUG": raw})


def test_an_unset_or_empty_boolean_takes_the_default():
    assert env_bool("X", default=True, environ={}) is True
    assert env_bool("X", default=False, environ={"X": ""}) is False


def test_it_reads_whole_numbers_within_bounds():
    assert env_int("N", 5, environ={"N": "42"}) == 42
    assert env_int("N", 5, environ={}) == 5
    with pytest.raises(ConfigurationError, match="not a whole number"):
        env_int("N", 5, environ={"N": "4.2"})
    with pytest.raises(ConfigurationError, match="below the minimum"):
        env_int("N", 5, minimum=300, environ={"N": "10"})
    with pytest.raises(ConfigurationError, match="above the maximum"):
        env_int("N", 5, maximum=9, environ={"N": "10"})


def test_it_splits_lists_on_commas_and_drops_blanks():
    assert env_list("H", ["d"], environ={"H": " a.example , ,b.example"}) == ["a.example", "b.example"]
    assert env_list("H", ["d"], environ={}) == ["d"]


def test_it_strips_strings_and_falls_back_on_empty():
    assert env_str("S", "fallback", environ={"S": "  value "}) == "value"
    assert env_str("S", "fallback", environ={"S": "   "}) == "fallback"


def test_a_secret_comes_from_the_variable_or_from_its_file(tmp_path: Path):
    secret_file = tmp_path / "secret"
    secret_file.write_text("from-file\n")
    assert env_secret("KEY", environ={"KEY": "direct"}) == "direct"
    assert env_secret("KEY", environ={"KEY_FILE": str(secret_file)}) == "from-file"
    assert env_secret("KEY", environ={}) == ""


def test_a_secret_set_twice_is_refused_without_showing_it(tmp_path: Path):
    secret_file = tmp_path / "secret"
    secret_file.write_text("hunter2-from-file")
    with pytest.raises(ConfigurationError) as excinfo:
        env_secret("KEY", environ={"KEY": "hunter2-direct", "KEY_FILE": str(secret_file)})
    assert "not both" in str(excinfo.value)
    assert "hunter2" not in str(excinfo.value)


def test_a_missing_or_empty_secret_file_is_an_error(tmp_path: Path):
    with pytest.raises(ConfigurationError, match="cannot be read"):
        env_secret("KEY", environ={"KEY_FILE": str(tmp_path / "absent")})
    empty = tmp_path / "empty"
    empty.write_text("  \n")
    with pytest.raises(ConfigurationError, match="is empty"):
        env_secret("KEY", environ={"KEY_FILE": str(empty)})
