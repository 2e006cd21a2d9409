"""The code format: encode/decode round trips, step reconstruction, MAC sensitivity."""

from __future__ import annotations

import hashlib
import hmac

import pytest
from hypothesis import given
from hypothesis import strategies as st

from gonghui.codes import protocol as p

ids = st.integers(min_value=p.CREDENTIAL_ID_MIN, max_value=p.CREDENTIAL_ID_MAX)
steps = st.integers(min_value=0, max_value=2**40)
seqs = st.integers(min_value=0, max_value=p.SEQ_MAX)
seeds = st.binary(min_size=32, max_size=32)


@given(seed=seeds, cid=ids, step=steps, seq=seqs)
def test_round_trip(seed, cid, step, seq):
    code = p.encode(seed=seed, credential_id=cid, step=step, seq=seq)
    assert len(code) == 20 and code.isdigit()
    d = p.decode(code)
    assert (d.credential_id, d.step_low, d.seq) == (cid, step % 100, seq)
    assert p.full_step(step_low=d.step_low, server_step=step) == step
    assert p.full_step(step_low=d.step_low, server_step=step + 1) == step
    if step >= 1:
        assert p.full_step(step_low=d.step_low, server_step=step - 1) == step
    assert p.mac_valid(seed=seed, credential_id=d.credential_id, step=step, seq=d.seq, mac=d.mac)


@given(
    seed=seeds,
    cid=ids,
    step=st.integers(min_value=2, max_value=2**40),
    seq=seqs,
    pos=st.integers(min_value=0, max_value=19),
    delta=st.integers(min_value=1, max_value=9),
)
def test_any_single_digit_change_fails(seed, cid, step, seq, pos, delta):
    code = p.encode(seed=seed, credential_id=cid, step=step, seq=seq)
    changed = code[:pos] + str((int(code[pos]) + delta) % 10) + code[pos + 1 :]
    try:
        d = p.decode(changed)
    except p.MalformedCode:
        return  # a leading zero in the id: refused as malformed
    if d.credential_id != cid:
        return  # another credential: its seed differs, and it is checked against that one
    full = p.full_step(step_low=d.step_low, server_step=step)
    if full is None:
        return  # expired
    assert not p.mac_valid(seed=seed, credential_id=cid, step=full, seq=d.seq, mac=d.mac)


@given(
    step_low=st.integers(min_value=0, max_value=99),
    server=st.integers(min_value=1, max_value=2**40),
)
def test_full_step_is_within_one_step_or_none(step_low, server):
    full = p.full_step(step_low=step_low, server_step=server)
    if full is None:
        assert all((server + d) % 100 != step_low for d in (-1, 0, 1))
    else:
        assert abs(full - server) <= 1 and full % 100 == step_low


def test_far_steps_are_not_reconstructed():
    assert p.full_step(step_low=(1000 - 2) % 100, server_step=1000) is None
    assert p.full_step(step_low=(1000 + 2) % 100, server_step=1000) is None


def test_mac_is_dynamic_truncation_of_hmac_sha256():
    seed = bytes(range(32))
    msg = p.mac_message(credential_id=123456789, step=58000000, seq=0)
    assert msg.hex() == "01000000000375028000075bcd15"
    digest = hmac.new(seed, msg, hashlib.sha256).digest()
    off = digest[31] & 0x0F
    expected = (int.from_bytes(digest[off : off + 4], "big") & 0x7FFFFFFF) % 10**7
    assert (
        p.mac_digits(seed=seed, credential_id=123456789, step=58000000, seq=0) == f"{expected:07d}"
    )


def test_mac_binds_full_step_not_only_its_last_digits():
    seed = bytes(32)
    a = p.mac_digits(seed=seed, credential_id=123456789, step=58000000, seq=0)
    b = p.mac_digits(seed=seed, credential_id=123456789, step=58000100, seq=0)
    assert a != b


@pytest.mark.parametrize(
    "text",
    [
        "",
        "1234",
        "1" * 19,
        "1" * 21,
        "0" * 20,
        "12345678900003441a67",
        "１２３４５６７８９０１２３４５６７８９０",
        "1234567890000344156٧",
        None,
        "1" * 100,
    ],
)
def test_malformed(text):
    with pytest.raises(p.MalformedCode):
        p.decode(text)


def test_typed_groups_are_accepted():
    d = p.decode(" 1234 5678 9000-0344 1567 ")
    assert d.credential_id == 123456789 and d.mac == "3441567"


def test_ranges_are_checked():
    with pytest.raises(ValueError):
        p.mac_message(credential_id=99_999_999, step=1, seq=0)
    with pytest.raises(ValueError):
        p.mac_message(credential_id=123456789, step=1, seq=100)
    with pytest.raises(ValueError):
        p.mac_digits(seed=b"short", credential_id=123456789, step=1, seq=0)
