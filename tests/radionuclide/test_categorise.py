"""Level rules 1–5, with and without station history."""

from __future__ import annotations

from testban.radionuclide.categorise import categorise, is_anomalous, normal_threshold

HIST = {"Cs-137": [1e-6, 2e-6, 1.5e-6, 1.2e-6], "Be-7": [3e-3, 4e-3, 5e-3]}


def test_level_1_natural_only():
    assert categorise({"Be-7": 5e-3, "Pb-212": 1e-4, "K-40": None}, HIST).level == 1


def test_level_2_anthropogenic_within_history():
    c = categorise({"Be-7": 5e-3, "Cs-137": 1.6e-6}, HIST)
    assert c.level == 2 and not c.anomalous


def test_level_3_anomalous_anthropogenic_not_relevant():
    c = categorise({"Ba-133": 1e-5, "Cs-137": 1.6e-6}, HIST)
    assert c.level == 3 and c.anomalous == ("Ba-133",)


def test_level_4_one_relevant_anomalous():
    c = categorise({"Cs-137": 5e-5}, HIST)
    assert c.level == 4 and c.anomalous == ("Cs-137",)


def test_level_5_several_relevant_with_a_fission_product():
    c = categorise({"Cs-137": 5e-5, "I-131": 1e-5, "Ba-140": 1e-5}, HIST)
    assert c.level == 5 and set(c.anomalous) == {"Cs-137", "I-131", "Ba-140"}


def test_two_activation_products_without_fission_stay_level_4():
    assert categorise({"Co-60": 1e-5, "Mn-54": 1e-5}, HIST).level == 4


def test_no_history_makes_every_relevant_nuclide_anomalous():
    assert categorise({"Cs-137": 1.6e-6}).level == 4
    assert categorise({"Cs-137": 1.6e-6, "I-131": 1e-6}, None).level == 5
    assert categorise({"Be-7": 1.0}, None).level == 1


def test_normal_range_is_mean_plus_three_sigma_of_enough_history():
    assert normal_threshold([1.0, 2.0]) is None
    thr = normal_threshold([1.0, 2.0, 3.0])
    assert thr == 2.0 + 3.0 * 1.0
    assert not is_anomalous(4.9, [1.0, 2.0, 3.0])
    assert is_anomalous(5.1, [1.0, 2.0, 3.0])
    assert is_anomalous(1.0, [])
