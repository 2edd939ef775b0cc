"""The header parser against random and mutated input (issue 10, item 7): a valid header or a
CorruptVault, never another exception, and scrypt never runs with uncapped parameters.

scrypt itself is replaced by a stub that checks its parameters against the caps: the property
is that the parser refuses every parameter set outside them before scrypt could run (a real
n=2**40 would hang or exhaust memory). One test runs the real scrypt at the smallest n allowed.
"""

from __future__ import annotations

import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from services.errors import CorruptVault
from services.vault import vault_header
from services.vault.vault_header import Header, key_check, read_header

KEY = bytes(range(32))
RECOVERY = vault_header.new_recovery_key()

json_values = st.recursive(
    st.none() | st.booleans() | st.integers(min_value=-2**70, max_value=2**70)
    | st.floats(allow_nan=False) | st.text(max_size=30),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner,
                                                                 max_size=4),
    max_leaves=12)


def valid_header() -> dict:
    header = Header(vault_id="0f5c1a8e-1111-2222-3333-444455556666", check=key_check(KEY))
    original = vault_header.SCRYPT_N
    vault_header.SCRYPT_N = 2**14
    try:
        header.set_passphrase(KEY, "correct horse battery")
    finally:
        vault_header.SCRYPT_N = original
    header.set_recovery_key(KEY, RECOVERY)
    return json.loads(header.to_json())


VALID = valid_header()
FIELDS = [("format",), ("vault_id",), ("key_check",), ("keychain",), ("slots",), ("pending",),
          *[("slots", "passphrase", f) for f in ("kdf", "n", "r", "p", "salt", "nonce",
                                                 "sealed")],
          *[("slots", "recovery", f) for f in ("kdf", "salt", "nonce", "sealed")],
          ("slots", "passphrase"), ("slots", "recovery")]
scrypt_numbers = st.sampled_from([0, 1, 2, 3, 2**13, 2**14, 2**15, 2**20, 2**21, 2**40, 2**64,
                                  -1, 16, 17, 4, 5, 10**6])


@st.composite
def mutated(draw) -> str:
    data = json.loads(json.dumps(VALID))
    for _ in range(draw(st.integers(1, 3))):
        path = draw(st.sampled_from(FIELDS))
        parent = data
        for part in path[:-1]:
            parent = parent.get(part) if isinstance(parent, dict) else None
        if not isinstance(parent, dict):
            continue
        if draw(st.booleans()) and path[-1] in parent:
            del parent[path[-1]]
        else:
            parent[path[-1]] = draw(scrypt_numbers if path[-1] in ("n", "r", "p")
                                    else json_values)
    return json.dumps(data)


@pytest.fixture
def capped_scrypt(monkeypatch):
    calls = []

    def stub(passphrase, salt, n, r, p):
        vault_header.check_scrypt(n, r, p)  # raises if the parser let a bad set through
        calls.append((n, r, p))
        return bytes(32)

    monkeypatch.setattr(vault_header, "_scrypt", stub)
    return calls


def exercise(text: str) -> None:
    """Parse, then try every way to unwrap: only a Header, None, a key or CorruptVault."""
    try:
        header = Header.from_json(text)
    except CorruptVault:
        return
    for pending in (False, True) if header.pending is not None else (False,):
        for unwrap, secret in ((header.unwrap_with_passphrase, "correct horse battery"),
                               (header.unwrap_with_recovery_key, RECOVERY)):
            try:
                key = unwrap(secret, pending)
            except CorruptVault:
                continue
            assert key is None or len(key) == 32


@settings(max_examples=300, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(text=mutated())
def test_mutated_headers_give_a_header_or_corrupt_vault(capped_scrypt, text):
    exercise(text)


@settings(max_examples=200, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(value=json_values)
def test_random_json_gives_corrupt_vault(capped_scrypt, value):
    exercise(json.dumps(value))


@settings(max_examples=100, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(raw=st.binary(max_size=200))
def test_random_bytes_in_the_file_give_corrupt_vault(tmp_path_factory, raw):
    path = tmp_path_factory.mktemp("h") / "vault.header"
    path.write_bytes(raw)
    try:
        read_header(path)
    except CorruptVault:
        pass


def test_the_valid_header_unwraps_with_real_scrypt_at_the_smallest_n():
    header = Header.from_json(json.dumps(VALID))
    assert header.unwrap_with_passphrase("correct horse battery") == KEY
    assert header.unwrap_with_recovery_key(RECOVERY) == KEY
    assert header.unwrap_with_passphrase("wrong passphrase") is None
