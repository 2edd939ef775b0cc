"""Issue 24 with a real sync tool: two Syncthing instances on 127.0.0.1 carry the sealed files
between two Confidant data dirs, each with its own copy of the shared folder.

Vault A turns sync on into its copy; Syncthing brings the files to B's copy; vault B joins from
there. An entry written on A and sealed by sync_now(A) reaches B's journal after Syncthing
delivers it and sync_now(B) runs, and B's copy of the folder never holds its text in the clear.
"""

from __future__ import annotations

import uuid

import pytest
from sqlmodel import select

from models.tables import Interaction, Partner
from services import journal
from services import vault as vault_service
from services.store import use_case
from services.sync import service as sync
from tests.syncthing_support import SyncthingPair, files_holding, syncthing_binary

PASSPHRASE = "correct horse battery staple, synced"


@pytest.fixture
def syncthing(tmp_path, loopback_only):
    """Two running Syncthing instances sharing one folder; both ended when the test ends."""
    binary, reason = syncthing_binary()
    if binary is None:
        pytest.skip(reason)
    pair = SyncthingPair(binary, tmp_path)
    try:
        pair.start()
        yield pair
    finally:
        pair.stop()
    assert not any(node.alive() for node in pair.nodes)


@pytest.fixture
def two_vaults(tmp_path, monkeypatch):
    monkeypatch.setenv("CONFIDANT_PASSPHRASE", PASSPHRASE)
    made = [vault_service.create_vault(tmp_path / name).vault for name in ("data-a", "data-b")]
    yield made
    for vault in made:
        vault.lock()


@pytest.mark.timeout(180)
def test_an_entry_crosses_two_syncthing_instances_sealed(syncthing, two_vaults):
    vault_a, vault_b = two_vaults
    a, b = syncthing.a, syncthing.b
    marker = f"PLAINTEXT-{uuid.uuid4().hex}"
    needle = marker.encode()

    def never_in_clear():
        for node in (a, b):
            assert files_holding(node.folder, needle) == [], f"{node.name}'s folder copy"

    # A's journal already holds an entry when sync is turned on
    early = f"First call {marker}"
    with use_case(vault_a, write=True) as s:
        partner = journal.create_partner(session=s, partner_in={"name": "Northwind Alliance"})
        journal.create_interaction(session=s, interaction_in={
            "partner_id": partner.id, "title": early, "notes": f"Met at the fair. {marker}"})
        partner_id = partner.id

    # A turns sync on into its copy of the folder; Syncthing carries keys.cfk and A's segments
    root_a = sync.turn_on(vault_a, a.folder, passphrase=PASSPHRASE)
    assert (root_a / sync.KEYS_FILE).is_file()
    syncthing.deliver(a, b)
    journal_dir = b.folder / "Confidant" / root_a.name
    assert (journal_dir / sync.KEYS_FILE).read_bytes() == (root_a / sync.KEYS_FILE).read_bytes()

    # B joins from its own copy: the same journal, another device, with A's first entry
    joined = sync.join(vault_b, b.folder, passphrase=PASSPHRASE)
    assert joined.snapshots == 1 and joined.rows >= 2 and not joined.refused
    with use_case(vault_b) as s:
        assert [i.title for i in s.exec(select(Interaction))] == [early]
    status_b = sync.status(vault_b)
    assert status_b.on and status_b.folder == str(b.folder.resolve())
    assert status_b.device != sync.status(vault_a).device

    # an entry written on A, sealed into A's copy, carried by Syncthing, applied on B
    title = f"Renewal terms {marker}"
    notes = f"They want a two-year term; {marker} stays between us."
    with use_case(vault_a, write=True) as s:
        journal.create_interaction(session=s, interaction_in={
            "partner_id": partner_id, "title": title, "notes": notes})
    assert sync.sync_now(vault_a).published >= 1
    never_in_clear()
    syncthing.deliver(a, b, between=never_in_clear)

    result = sync.sync_now(vault_b)
    assert result.applied >= 1 and not result.refused and not result.waiting
    with use_case(vault_b) as s:
        got = s.exec(select(Interaction).where(Interaction.title == title)).all()
        assert [(i.title, i.notes) for i in got] == [(title, notes)]
        assert [p.name for p in s.exec(select(Partner))] == ["Northwind Alliance"]
        assert s.get(Partner, got[0].partner_id).name == "Northwind Alliance"

    # and back: B's acknowledgements reach A through Syncthing, A knows B as a device
    syncthing.deliver(b, a, between=never_in_clear)
    assert not sync.sync_now(vault_a).refused
    assert status_b.device in [d.device for d in sync.status(vault_a).devices]

    # the sealed files are all either copy ever held: no file there carries the text
    never_in_clear()
    assert any(p.suffix == ".cfs" for p in journal_dir.rglob("*"))
