"""CM6 decoder: hand-checked codes, round trips against the test-side encoder, and errors."""

from __future__ import annotations

import numpy as np
import pytest

from testban.io.ims20.cm6 import ALPHABET, CM6Error, decode, decode_differences


def test_alphabet_is_the_gse_table() -> None:
    assert ALPHABET[:12] == b"+-0123456789"
    assert len(ALPHABET) == 64 and len(set(ALPHABET)) == 64


@pytest.mark.parametrize(
    ("text", "values"),
    [
        ("+", [0]),  # code 0
        ("1", [3]),  # code 3: positive 3
        ("D", [15]),  # largest one-character value
        ("F", [-1]),  # code 17 = sign bit + 1
        ("T", [-15]),  # code 31 = sign bit + 15
        ("UE", [16]),  # 0x20 continuation, then 16 in five bits
        ("kE", [-16]),  # 0x20 | 0x10 sign, then 16
        ("WID2", [84, 15, 4]),  # "W"=0x22 continues with "I"=20: 2*32+20
    ],
)
def test_hand_checked_codes(text: str, values: list[int]) -> None:
    assert decode_differences(text).tolist() == values


def test_second_differences_are_integrated_twice() -> None:
    # D = [1, 1, 1] -> first differences [1, 2, 3] -> samples [1, 3, 6]
    assert decode("---").tolist() == [1, 3, 6]
    assert decode("---").dtype == np.int32


def test_round_trip_random(ims, rng: np.random.Generator) -> None:
    data = rng.integers(-(2**31), 2**31, size=5000, dtype=np.int64).astype(np.int32)
    data[:4] = [np.iinfo(np.int32).max, np.iinfo(np.int32).min, np.iinfo(np.int32).max, 0]
    out = decode(ims.encode(data))
    np.testing.assert_array_equal(out, data)


def test_round_trip_seismic_like(ims) -> None:
    data = ims.noise(20000, 50.0)
    np.testing.assert_array_equal(decode(ims.encode(data)), data)
    np.testing.assert_array_equal(decode(ims.encode(-data).encode()), -data)  # bytes input


def test_whitespace_and_line_breaks_are_ignored(ims) -> None:
    data = np.array([5, -7, 1000, -100000, 3], dtype=np.int32)
    text = ims.encode(data, width=3)
    assert "\n" in text
    spaced = "  " + text.replace("\n", " \r\n\t") + "\n\n"
    np.testing.assert_array_equal(decode(spaced), data)


def test_empty_payload() -> None:
    assert decode("").size == 0
    assert decode(" \n ").dtype == np.int32


def test_invalid_character_names_position() -> None:
    with pytest.raises(CM6Error, match="invalid CM6 character '#'") as err:
        decode("++\n+#+")
    assert err.value.position == 3  # offset after whitespace removal


def test_non_ascii_text_is_a_cm6_error() -> None:
    with pytest.raises(CM6Error):
        decode("++é")


def test_truncated_number() -> None:
    with pytest.raises(CM6Error, match="truncated"):
        decode("++U")  # "U" says more characters follow


def test_number_too_long() -> None:
    with pytest.raises(CM6Error, match="longer than"):
        decode("U" * 9 + "+")


def test_int32_overflow_is_detected() -> None:
    # 2**33 - 1 fits in seven characters but integrates beyond int32.
    chars = ALPHABET.decode()
    value = 2**33 - 1
    codes = [0x20 | (value >> 30) & 0x0F] + [
        0x20 | (value >> s) & 0x1F for s in (25, 20, 15, 10, 5)
    ]
    codes.append(value & 0x1F)
    text = "".join(chars[c] for c in codes)
    assert decode_differences(text).tolist() == [value]
    with pytest.raises(CM6Error, match="int32"):
        decode(text)
