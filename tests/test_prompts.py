from string import Template

import pytest

from voicetune import prompts


def test_bundled_templates_and_their_variables():
    assert prompts.variables(prompts.load("question")) == {"opening", "passage", "persona"}
    assert prompts.variables(prompts.load("system")) == {"persona"}
    assert prompts.variables(prompts.load("followup")) == {"history", "passage", "persona"}
    assert prompts.variables(prompts.load("avoid")) == {"questions"}


def test_every_template_is_listed_in_the_readme_with_its_variables():
    readme = (prompts.PROMPTS_DIR / "README.md").read_text()
    for path in sorted(prompts.PROMPTS_DIR.glob("*.txt")):
        row = next((line for line in readme.splitlines() if line.startswith(f"| `{path.name}`")), None)
        assert row is not None, f"{path.name} is not in prompts/README.md"
        assert all(f"`${name}`" in row for name in prompts.variables(prompts.load(path))), row


def test_missing_variable_is_an_error_naming_it():
    with pytest.raises(prompts.MissingVariables, match="opening"):
        prompts.render(prompts.load("question"), passage="x")


def test_values_are_inserted_literally():
    assert prompts.render(Template("[$a]"), a="costs $5 and ${b}") == "[costs $5 and ${b}]"


def test_unknown_template_name():
    with pytest.raises(FileNotFoundError, match="nope"):
        prompts.load("nope")
