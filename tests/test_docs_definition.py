"""docs/definition.md is part of the product: its complete definitions load, its worked example and its
error messages are what leadgate gives, and every example definition that ships loads."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from pathlib import Path

import pytest

from leadgate.definition import load_definition, load_text
from leadgate.errors import DefinitionError
from leadgate.records import Account, Call, Event, Lead
from leadgate.scoring import score_lead

ROOT = Path(__file__).resolve().parents[1]
DOC = (ROOT / "docs" / "definition.md").read_text(encoding="utf-8")
EXAMPLES = sorted((ROOT / "src" / "leadgate" / "examples").glob("*.yaml"))
MARK = "# complete definition"


def _blocks(language: str) -> list[str]:
    return re.findall(rf"^```{language}\n(.*?)^```", DOC, re.S | re.M)


def _complete_definitions() -> list[str]:
    return [b for b in _blocks("yaml") if b.splitlines()[0].strip() == MARK]


def test_the_doc_has_complete_definitions() -> None:
    assert _complete_definitions(), f"no ```yaml block of docs/definition.md starts with {MARK!r}"


@pytest.mark.parametrize("index", range(len(_complete_definitions())))
def test_every_complete_definition_in_the_doc_loads(index: int) -> None:
    text = _complete_definitions()[index]
    definition = load_text(text, f"docs/definition.md, complete definition {index + 1}")
    assert definition.funnel


def test_the_examples_are_there() -> None:
    names = {p.name for p in EXAMPLES}
    assert {"b2b-saas.yaml", "specialty-chemicals.yaml", "bant-telequalification.yaml"} <= names


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.name)
def test_every_example_loads(path: Path) -> None:
    definition = load_definition(path)
    assert definition.spec.version, f"{path.name} should state its version"
    assert path.read_text(encoding="utf-8").startswith("#"), f"{path.name} should begin with a comment"


def _june(day: int) -> datetime:
    return datetime(2026, 6, day, tzinfo=UTC)


def test_the_overview_result_is_what_the_evaluator_returns() -> None:
    definition = load_text(_complete_definitions()[0])
    lead = Lead(
        "L0000042", "ana.silva@globex.com", "A0000007", datetime(2026, 5, 20, tzinfo=UTC), {"seniority": "vp"}
    )
    account = Account("A0000007", "globex.com", "Globex", {"employees": 850.0})
    pricing = {"url": "https://www.acme.com/pricing"}
    events = [
        Event("E1", lead.lead_id, "page_viewed", _june(1), pricing),
        Event("E2", lead.lead_id, "page_viewed", _june(16), pricing),
        Event("E3", lead.lead_id, "form_submitted", _june(25), {"form": "contact_sales"}),
    ]
    calls = [
        Call("C1", lead.lead_id, _june(26), "voicemail"),
        Call("C2", lead.lead_id, _june(29), "reached", {"budget": "confirmed", "timeline": "later"}),
    ]
    result = score_lead(definition, lead, events, calls, datetime(2026, 7, 1, tzinfo=UTC), account)
    block = next(b for b in _blocks("json") if '"lead_id": "L0000042"' in b)
    assert result.as_dict() == json.loads(block)
    assert sum(c.points for c in result.trace) == result.score


def _documented_errors(after: str) -> list[str]:
    """The problem lines of the first ```text block after `after` in the doc."""
    start = DOC.index(after)
    block = re.search(r"^```text\n(.*?)^```", DOC[start:], re.S | re.M)
    assert block is not None
    return [line.strip() for line in block.group(1).splitlines() if line.startswith("  acme.yaml:")]


def _broken(replacements: list[tuple[str, str]]) -> str:
    text = _complete_definitions()[0]
    for old, new in replacements:
        assert text.count(old) == 1, old
        text = text.replace(old, new)
    return text


@pytest.mark.parametrize(
    ("after", "replacements"),
    [
        (
            "with four mistakes",
            [
                ("lead.seniority in ['c_level', 'vp']", "lead.seniorty in ['c_level', 'vp']"),
                ("persona == 'decision_maker'\"", "persona == 'decision_maker' and engagement > 10\""),
                ("form == 'contact_sales'", "form == 'contact-sales'"),
                ('engagement >= 20"', 'engagement >= 20 and"'),
            ],
        ),
        (
            "A structure problem stops",
            [("half_life_days: 30", "half_life: 30"), ("points: 20,", "points: twenty,")],
        ),
    ],
)
def test_the_documented_errors_are_what_loading_reports(
    after: str, replacements: list[tuple[str, str]]
) -> None:
    documented = _documented_errors(after)
    assert documented
    with pytest.raises(DefinitionError) as caught:
        load_text(_broken(replacements), "acme.yaml")
    assert [str(p) for p in caught.value.problems] == documented
