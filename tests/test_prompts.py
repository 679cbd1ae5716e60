from string import Template

import pytest

from synth import prompts


def test_bundled_templates_and_their_variables():
    assert prompts.variables(prompts.load("question")) == {"context", "passage", "persona"}
    assert prompts.variables(prompts.load("system")) == {"persona"}


def test_missing_variable_is_an_error_naming_it():
    with pytest.raises(prompts.MissingVariables, match="context"):
        prompts.render(prompts.load("question"), passage="x")


def test_values_are_inserted_literally():
    assert prompts.render(Template("[$a]"), a="costs $5 and ${b}") == "[costs $5 and ${b}]"


def test_unknown_template_name():
    with pytest.raises(FileNotFoundError, match="nope"):
        prompts.load("nope")
