"""The one `error:` block: its text (settings errors name their option), its layout, its exit."""

from __future__ import annotations

import json

import pytest
import typer
from pydantic import ValidationError

from flows.cli import errors
from segmentation.errors import PipelineError
from segmentation.settings import make_settings


def validation_error(**overrides: object) -> ValidationError:
    with pytest.raises(ValidationError) as caught:
        make_settings(**overrides)
    return caught.value


def test_a_settings_error_names_the_option_and_the_variable() -> None:
    text = errors.error_text(validation_error(features=("bogus",)))
    assert text.startswith("invalid option: --features / SEGMENT_FEATURES: unknown features ['bogus']; choose from")
    assert text.endswith("(got 'bogus')")


def test_a_setting_without_an_option_names_only_its_variable() -> None:
    problem = {"loc": ("k_sample_size",), "msg": "Input should be greater than 0", "input": -1}
    assert errors.setting_problem(problem) == "SEGMENT_K_SAMPLE_SIZE: Input should be greater than 0 (got -1)"


def test_a_list_given_is_shown_as_the_text_typed() -> None:
    problem = {"loc": ("features",), "msg": "Value error, unknown features ['x']", "input": ("x", "age")}
    assert errors.setting_problem(problem) == "--features / SEGMENT_FEATURES: unknown features ['x'] (got 'x,age')"


def test_a_problem_of_the_whole_model_is_its_message() -> None:
    problem = {"loc": (), "msg": "Value error, k_min must not exceed k_max", "input": {}}
    assert errors.setting_problem(problem) == "k_min must not exceed k_max"


def test_other_errors_are_their_message() -> None:
    assert errors.error_text(PipelineError("nope.csv: no such file")) == "nope.csv: no such file"
    assert errors.error_text("plain words") == "plain words"


@pytest.mark.parametrize(
    ("message", "block"),
    [
        ("one line", "one line"),
        ("", ""),
        ("first\nhint", "first\n  hint"),
        ("first\n  already indented\nhint", "first\n  already indented\n  hint"),
    ],
)
def test_hints_are_indented_beneath_the_first_line(message: str, block: str) -> None:
    assert errors.error_block(message) == block


def test_fail_says_it_once_on_stderr_and_exits_1(capsys: pytest.CaptureFixture[str]) -> None:
    done = errors.fail(PipelineError("bad\nhint"))
    assert isinstance(done, typer.Exit)
    assert done.exit_code == 1
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err == "error: bad\n  hint\n"


def test_fail_with_json_also_prints_the_document(capsys: pytest.CaptureFixture[str]) -> None:
    errors.fail("it broke", as_json=True, period="2026Q1")
    captured = capsys.readouterr()
    assert json.loads(captured.out) == {"status": "failed", "period": "2026Q1", "error": "it broke"}
    assert captured.err == "error: it broke\n"


def test_fail_keeps_a_file_name_whatever_its_bytes(capsys: pytest.CaptureFixture[str]) -> None:
    errors.fail("caf\udce9.csv: no such file")
    assert capsys.readouterr().err == "error: caf\\udce9.csv: no such file\n"


def test_under_main_the_message_waits_for_the_exit_handlers(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(errors, "deferred", [])
    errors.fail("later")
    assert errors.deferred == ["later"]
    assert capsys.readouterr().err == ""
