"""Where the bias lives, where mutation testing found the tests silent: a rule
whose path splits the same category twice names only the levels both splits let
through, not the last split's side alone. Every expected value is worked out by
hand from the profiles below."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from twinaudit.metrics import where_bias_lives


def profiles(levels: list[str], flips_per_hundred: list[int]):
    """100 profiles per level, the first ``f`` of them flipped."""
    kind, flipped = [], []
    for level, f in zip(levels, flips_per_hundred, strict=True):
        kind += [level] * 100
        flipped += [True] * f + [False] * (100 - f)
    return pd.DataFrame({"kind": kind}), np.array(flipped)


def rules(where) -> list[tuple[str, int, int]]:
    return [
        (r, int(p), int(f))
        for r, p, f in where.rules[["rule", "profiles", "flips"]].values
    ]


@pytest.mark.parametrize(
    "order", ["rates rise with the name", "rates fall with the name"]
)
def test_four_levels_split_twice_each_rule_names_its_one_level(order):
    # Rates 0, .3, .7, 1: the root parts {A, B} from {C, D} and each side splits
    # again, so every path meets `kind` twice. The inner split's right side is
    # "every level above the cut", which includes the levels the root sent the
    # other way; only the two sides together say which level the leaf holds.
    names = (
        ["A", "B", "C", "D"] if order.startswith("rates rise") else ["D", "C", "B", "A"]
    )
    frame, flipped = profiles(names, [0, 30, 70, 100])
    where = where_bias_lives(frame, flipped, max_depth=2, min_profiles=1)
    by_rate = names[::-1]  # highest flip rate first
    assert rules(where) == [
        (f"kind = {by_rate[0]}", 100, 100),
        (f"kind = {by_rate[1]}", 100, 70),
        (f"kind = {by_rate[2]}", 100, 30),
        (f"kind = {by_rate[3]}", 100, 0),
    ]


def test_eight_levels_split_twice_each_rule_names_its_two_levels():
    # Rates by pairs: {A, B} .95 and 1, {C, D} .6 and .65, {E, F} .3 and .35,
    # {G, H} 0 and .05. Depth 2 parts them into the four pairs; a leaf in the
    # middle holds two levels, not everything beyond one cut.
    frame, flipped = profiles(list("HGFEDCBA"), [0, 5, 30, 35, 60, 65, 95, 100])
    where = where_bias_lives(frame, flipped, max_depth=2, min_profiles=1)
    assert rules(where) == [
        ("kind in {A, B}", 200, 195),
        ("kind in {C, D}", 200, 125),
        ("kind in {E, F}", 200, 65),
        ("kind in {G, H}", 200, 5),
    ]
