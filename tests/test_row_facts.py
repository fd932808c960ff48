"""``RowFacts``: verify's latest fact per row, held as a dict would hold it, in less room."""

from __future__ import annotations

import pickle
import sys

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dutydesk.services.integrity import row_facts
from dutydesk.services.integrity.row_facts import RowFacts

# Keys as key_of makes them (numbers, "a:b") and as nothing makes them but a tampered
# event could name ("012", "-3", full-width digits, far past every other row).
KEYS = st.one_of(
    st.integers(0, 3000).map(str),
    st.sampled_from(["0", "00", "012", "-3", "+4", "１２", "7:8", "a:b", "", "1e3"]),
    st.integers(row_facts.DENSE_FROM_ANY, row_facts.DENSE_FROM_ANY * 8).map(str),
    st.integers(10**17, 10**19).map(str),
)
SEQS = st.integers(-(10**9), 10**9).filter(lambda seq: seq != 0)
OPS = st.lists(
    st.one_of(
        st.tuples(st.just("set"), KEYS, SEQS),
        st.tuples(st.just("pop"), KEYS, st.just(0)),
    ),
    max_size=60,
)


def model_of(ops: list[tuple[str, str, int]]) -> tuple[RowFacts, dict[str, int], list[int]]:
    held, model, popped = RowFacts(), {}, []
    for op, row, seq in ops:
        if op == "set":
            held[row] = seq
            model[row] = seq
        else:
            popped.append(held.pop(row, 0) - model.pop(row, 0))
    return held, model, popped


@settings(max_examples=300)
@given(OPS, st.sampled_from([row_facts.DENSE_FROM_ANY, 64]))
def test_it_answers_as_a_dict_would(ops: list[tuple[str, str, int]], bound: int) -> None:
    # At a low bound, keys move from the dict to the array as the rows held grow.
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(row_facts, "DENSE_FROM_ANY", bound)
        held, model, popped = model_of(ops)
    assert set(popped) <= {0}  # every pop gave what the dict gave
    assert dict(held.items()) == model
    assert len(held) == len(model) and set(held) == set(model)
    # Sent to and from verify's workers (multiprocessing pickles it; our own bytes).
    assert pickle.loads(pickle.dumps(held)) == held  # noqa: S301


@given(OPS, OPS)
def test_a_later_stretch_replaces_an_earlier_ones_facts(
    first: list[tuple[str, str, int]], later: list[tuple[str, str, int]]
) -> None:
    earlier, merged, _ = model_of(first)
    after, model, _ = model_of(later)
    earlier.update(after)
    merged.update(model)
    assert dict(earlier.items()) == merged


def test_a_key_put_in_the_dict_is_found_once_the_array_reaches_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(row_facts, "DENSE_FROM_ANY", 16)
    held = RowFacts()
    held["20"] = 7  # past the array's reach while it holds nothing: in the dict
    assert held._other == {"20": 7} and dict(held.items()) == {"20": 7}
    for number in range(1, 12):
        held[str(number)] = number
    held["20"] = 8  # 12 rows held: 20 is within the array's reach, and moves there
    assert held._other == {} and dict(held.items())["20"] == 8 and len(held) == 12
    held.update(RowFacts([("20", 9)]))
    assert held._other == {} and dict(held.items())["20"] == 9 and len(held) == 12
    assert held.pop("20") == 9 and held.pop("20", 0) == 0 and len(held) == 11


def test_a_million_rows_take_a_fraction_of_a_dicts_room() -> None:
    # Issue 16: verify's facts at 1M incidents took ~190 bytes a row as a dict of text.
    rows = 1_000_000
    held = RowFacts((str(number), number * 4) for number in range(1, rows + 1))
    as_dict = {str(number): number * 4 for number in range(1, rows + 1)}
    room = sys.getsizeof(held._dense)
    dict_room = sys.getsizeof(as_dict) + sum(
        sys.getsizeof(row) + sys.getsizeof(seq) for row, seq in as_dict.items()
    )
    assert len(held._dense) <= rows * 3 // 2 + 2  # a place a row, grown by half at most
    assert room <= 12 * rows + 1024
    assert room * 10 < dict_room
    assert held.pop("500000") == 2_000_000 and len(held) == rows - 1
    # A later stretch of the chain starts far from row 1 (verify's second worker): the
    # array reaches its keys, no further (it once grew by 8 places a byte: 32 MB here).
    later = RowFacts((str(number), number) for number in range(rows // 2, rows + 1))
    assert len(later._dense) <= rows * 3 // 2
