"""The triage rules on their own (no database): each discriminator at and around its edge, the
possible limits of each vital sign, and the flags of abnormal values.

The vital-sign table has a row on each side of every threshold in ``rules.VITAL_RULES``; a test
checks that the table reaches every rule, so a rule added without rows fails here.
"""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal

import pytest
from django.utils import translation

from patients.models import RiskColour
from triage import rules
from triage.rules import Reason

RED, ORANGE, YELLOW, GREEN, BLUE = (
    RiskColour.RED,
    RiskColour.ORANGE,
    RiskColour.YELLOW,
    RiskColour.GREEN,
    RiskColour.BLUE,
)
D = Decimal


@pytest.fixture(autouse=True)
def _in_english() -> Iterator[None]:
    with translation.override("en"):
        yield


# (vital sign, value, the colour that sign alone gives, or None when it gives none)
EDGES: list[tuple[str, int | Decimal, str | None]] = [
    ("glasgow", 3, RED),
    ("glasgow", 8, RED),
    ("glasgow", 9, ORANGE),
    ("glasgow", 13, ORANGE),
    ("glasgow", 14, YELLOW),
    ("glasgow", 15, None),
    ("spo2", 84, RED),
    ("spo2", 85, ORANGE),
    ("spo2", 89, ORANGE),
    ("spo2", 90, YELLOW),
    ("spo2", 93, YELLOW),
    ("spo2", 94, None),
    ("spo2", 100, None),
    ("systolic", 69, RED),
    ("systolic", 70, ORANGE),
    ("systolic", 89, ORANGE),
    ("systolic", 90, None),
    ("systolic", 179, None),
    ("systolic", 180, YELLOW),
    ("systolic", 219, YELLOW),
    ("systolic", 220, ORANGE),
    ("diastolic", 109, None),
    ("diastolic", 110, YELLOW),
    ("diastolic", 129, YELLOW),
    ("diastolic", 130, ORANGE),
    ("heart_rate", 39, ORANGE),
    ("heart_rate", 40, YELLOW),
    ("heart_rate", 49, YELLOW),
    ("heart_rate", 50, None),
    ("heart_rate", 119, None),
    ("heart_rate", 120, YELLOW),
    ("heart_rate", 149, YELLOW),
    ("heart_rate", 150, ORANGE),
    ("respiratory_rate", 7, ORANGE),
    ("respiratory_rate", 8, None),
    ("respiratory_rate", 24, None),
    ("respiratory_rate", 25, YELLOW),
    ("respiratory_rate", 29, YELLOW),
    ("respiratory_rate", 30, ORANGE),
    ("temperature", D("34.9"), ORANGE),
    ("temperature", D("35.0"), None),
    ("temperature", D("38.9"), None),
    ("temperature", D("39.0"), YELLOW),
    ("temperature", D("40.9"), YELLOW),
    ("temperature", D("41.0"), ORANGE),
    ("glucose", 53, ORANGE),
    ("glucose", 54, YELLOW),
    ("glucose", 69, YELLOW),
    ("glucose", 70, None),
    ("glucose", 249, None),
    ("glucose", 250, YELLOW),
    ("glucose", 399, YELLOW),
    ("glucose", 400, ORANGE),
    ("pain", 0, None),
    ("pain", 1, GREEN),
    ("pain", 4, GREEN),
    ("pain", 5, YELLOW),
    ("pain", 7, YELLOW),
    ("pain", 8, ORANGE),
    ("pain", 10, ORANGE),
]


@pytest.mark.parametrize(("sign", "value", "colour"), EDGES, ids=[f"{s}={v}" for s, v, _c in EDGES])
def test_each_vital_sign_rule_gives_its_colour_from_its_edge_and_not_before(
    sign: str, value: int | Decimal, colour: str | None
) -> None:
    suggested, reasons = rules.suggest({sign: value}, [])

    assert suggested == (colour or BLUE)
    assert [(reason.colour, reason.sign) for reason in reasons] == ([(colour, sign)] if colour else [])


def test_the_edge_table_reaches_every_vital_sign_rule() -> None:
    texts = set()
    for sign, value, _colour in EDGES:
        _suggested, reasons = rules.suggest({sign: value}, [])
        texts.update(reason.text for reason in reasons)

    assert len(texts) == len(rules.VITAL_RULES)


def test_the_issues_examples_spo2_below_90_and_glasgow_8() -> None:
    assert rules.suggest({"spo2": 89}, [])[0] == ORANGE
    assert rules.RANK[rules.suggest({"spo2": 90}, [])[0]] > rules.RANK[ORANGE]
    assert rules.suggest({"glasgow": 8}, [])[0] == RED
    assert rules.suggest({"glasgow": 9}, [])[0] == ORANGE


@pytest.mark.parametrize("sign", rules.DISCRIMINATORS, ids=[d.code for d in rules.DISCRIMINATORS])
def test_each_observed_sign_gives_its_colour_with_its_label(sign: rules.Discriminator) -> None:
    assert rules.suggest({}, [sign.code]) == (sign.colour, [Reason(sign.colour, str(sign.label), sign.code)])


def test_nothing_abnormal_suggests_blue_with_no_reason() -> None:
    normal = {
        "systolic": 120,
        "diastolic": 80,
        "heart_rate": 72,
        "respiratory_rate": 16,
        "temperature": D("36.5"),
        "spo2": 98,
        "glucose": 95,
        "pain": 0,
        "glasgow": 15,
    }

    assert rules.suggest(normal, []) == (BLUE, [])
    assert rules.suggest({}, []) == (BLUE, [])
    assert rules.suggest(dict.fromkeys(rules.VITAL_FIELDS), []) == (BLUE, [])


def test_the_most_urgent_wins_and_reasons_come_most_urgent_first() -> None:
    suggested, reasons = rules.suggest({"pain": 2, "spo2": 92, "glasgow": 7}, ["vomiting_blood", "cardiac_pain"])

    assert suggested == RED
    assert [(reason.colour, reason.sign) for reason in reasons] == [
        (RED, "glasgow"),
        (ORANGE, "cardiac_pain"),
        (YELLOW, "spo2"),
        (YELLOW, "vomiting_blood"),
        (GREEN, "pain"),
    ]


def test_one_reason_per_sign_the_most_urgent_of_its_rules() -> None:
    _suggested, reasons = rules.suggest({"spo2": 80, "systolic": 60}, [])

    assert reasons == [
        Reason(RED, "SpO2 below 85%", "spo2"),
        Reason(RED, "Systolic pressure below 70 mmHg", "systolic"),
    ]


def test_a_sign_that_is_not_offered_suggests_nothing() -> None:
    # The service refuses unknown codes; the rules on their own only ignore them.
    assert rules.suggest({}, ["not-a-sign"]) == (BLUE, [])


# Possible values -----------------------------------------------------------------------------------


def _step(sign: str) -> int | Decimal:
    return D("0.1") if sign == "temperature" else 1


LIMIT_EDGES = [
    (sign, value, possible)
    for sign, (low, high) in rules.VITAL_LIMITS.items()
    for value, possible in ((low - _step(sign), False), (low, True), (high, True), (high + _step(sign), False))
]


@pytest.mark.parametrize(("sign", "value", "possible"), LIMIT_EDGES, ids=[f"{s}={v}" for s, v, _p in LIMIT_EDGES])
def test_values_beyond_each_limit_are_impossible_and_the_limits_themselves_possible(
    sign: str, value: int | Decimal, possible: bool
) -> None:
    with translation.override("en"):
        errors = rules.check_possible({sign: value})

    assert (sign not in errors) is possible, errors
    if not possible:  # written the reader's way: "1,501" and "45.1" in English
        assert f"{value:,}" in errors[sign]


@pytest.mark.parametrize(
    ("sign", "value"), [("spo2", 101), ("temperature", D("45.1")), ("glasgow", 2), ("glasgow", 16)]
)
def test_the_issues_impossible_values(sign: str, value: int | Decimal) -> None:
    assert set(rules.check_possible({sign: value})) == {sign}


def test_a_diastolic_pressure_at_or_above_the_systolic_is_refused_once() -> None:
    message = "The diastolic pressure must be lower than the systolic."
    assert rules.check_possible({"systolic": 100, "diastolic": 100}) == {"diastolic": message}
    assert rules.check_possible({"systolic": 100, "diastolic": 99}) == {}
    # A diastolic already impossible keeps its own message.
    assert set(rules.check_possible({"systolic": 100, "diastolic": 201})) == {"diastolic"}
    assert rules.check_possible({"systolic": 100, "diastolic": 201})["diastolic"] != message


def test_missing_values_are_not_checked() -> None:
    assert rules.check_possible(dict.fromkeys(rules.VITAL_FIELDS)) == {}


# Flags ---------------------------------------------------------------------------------------------

FLAG_EDGES = [
    (sign, value, flag)
    for sign, (low, high) in rules.NORMAL_RANGES.items()
    for value, flag in (
        (low - _step(sign), f"{sign}:low"),
        (low, None),
        (high, None),
        (high + _step(sign), f"{sign}:high"),
    )
    if rules.VITAL_LIMITS[sign][0] <= value <= rules.VITAL_LIMITS[sign][1]
]


@pytest.mark.parametrize(("sign", "value", "flag"), FLAG_EDGES, ids=[f"{s}={v}" for s, v, _f in FLAG_EDGES])
def test_values_outside_the_normal_range_are_flagged_and_its_edges_are_not(
    sign: str, value: int | Decimal, flag: str | None
) -> None:
    assert rules.flags({sign: value}) == ([flag] if flag else [])


def test_the_issues_flag_examples_and_their_order() -> None:
    assert rules.flags({"heart_rate": 101}) == ["heart_rate:high"]
    assert rules.flags({"temperature": D("37.7")}) == []
    assert rules.flags({"temperature": D("37.8")}) == ["temperature:high"]
    assert rules.flags({"glasgow": 14, "spo2": 91, "systolic": 85}) == ["systolic:low", "spo2:low", "glasgow:low"]
