"""Nothing readable on disk: entries and the key never appear in plain text."""

from __future__ import annotations

import base64
import uuid

from services import journal
from services import vault as vaults
from services.journal import trust
from services.store import use_case
from tests.helpers import all_bytes


def test_markers_and_key_are_not_on_disk(data_dir, meaning_holder, tmp_path):
    created = vaults.create_vault(data_dir, passphrase="correct horse battery")
    vault = created.vault
    markers = [f"MARKER-{uuid.uuid4().hex}" for _ in range(5)]
    with use_case(vault) as s:
        partner = journal.create_partner(session=s, partner_in={"name": markers[0]})
        journal.create_stakeholder(session=s, stakeholder_in={
            "partner_id": partner.id, "name": markers[1]})
        journal.create_interaction(session=s, interaction_in={
            "partner_id": partner.id, "title": markers[2], "notes": markers[3] * 50,
            "reflection": markers[4], "tags": ["secret-tag"]})
        trust.add_reading(session=s, reading_in={
            "partner_id": partner.id, "credibility": 5, "reliability": 5, "intimacy": 5,
            "self_orientation": 5, "note": markers[4]})
    # the meaning index (issue 22): chunks and vectors inside the encrypted file only
    from services.memory import index
    assert index.catch_up(vault, meaning_holder.get(data_dir)) == 1
    # sync (issue 24): the folder another program carries to other machines holds ciphertext
    from services.sync import service as sync

    folder = tmp_path / "Dropbox"
    folder.mkdir()
    sync.turn_on(vault, folder, recovery_key=created.recovery_key)
    with use_case(vault, write=True) as s:
        journal.update_partner(session=s, partner_id=partner.id,
                               partner_in={"summary": markers[3]})
    assert sync.sync_now(vault).published == 1
    with use_case(vault) as s:
        sync_key = base64.b64decode(s.connection().exec_driver_sql(
            "SELECT value FROM sync_state WHERE key='key'").scalar())
    shared = all_bytes(folder)
    assert len(shared) > 2 * 4096   # two padded segments and the wrapped key
    for secret in [*markers, "secret-tag", "Northwind"]:
        assert secret.encode() not in shared and secret.encode("utf-16-le") not in shared
    assert sync_key not in shared and sync_key.hex().encode() not in shared
    assert created.recovery_key.encode() not in shared
    key = vault.key
    # while open (WAL and SHM hold fresh pages) and after closing
    for moment in ("open", "closed"):
        disk = all_bytes(data_dir)
        assert disk, moment
        for marker in markers + ["secret-tag"]:
            assert marker.encode() not in disk, (moment, marker)
            assert marker.encode("utf-16-le") not in disk, (moment, marker)
        assert key not in disk and key.hex().encode() not in disk
        assert created.recovery_key.encode() not in disk
        vault.lock()
    assert {p.name for p in data_dir.iterdir()} >= {"journal.db", "vault.header"}
    assert not [p for p in data_dir.rglob("*") if p.suffix in (".npy", ".npz", ".vec", ".txt")]
