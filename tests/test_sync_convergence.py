"""Convergence (issue 24): three devices make random creates, edits and deletes; the folder
delivers sealed files in random subsets, late, out of order and twice (as a sync tool's
"conflicted copy"); wall clocks are skewed by up to a day and jump back. After full delivery:
every device's export is identical, no accepted text is lost, and nothing is deleted or
brought back without an operation saying so."""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, rule

from services import journal
from services.store import use_case
from services.sync import exchange
from tests.sync_support import lock_all, settle, three_devices

DAY_MS = 86_400_000
PARTNERS = ("Northwind", "Contoso", "Fabrikam")
device_index = st.integers(0, 2)


class Convergence(RuleBasedStateMachine):
    def __init__(self):
        super().__init__()
        self.cut = exchange.OPS_PER_SEGMENT
        self.base = Path(tempfile.mkdtemp(prefix="sync-convergence-"))
        self.devices, self.cloud = three_devices(self.base)
        self.counter = 0
        self.written: list[tuple[str, str, str]] = []     # (entry, field, text) accepted
        self.replaced: set[tuple[str, str, str]] = set()  # texts a device saw and replaced
        self.created: set[str] = set()
        self.deleted: set[str] = set()

    def _next(self, prefix: str) -> str:
        self.counter += 1
        return f"{prefix}{self.counter}"

    def _shown(self, d: int) -> dict[str, object]:
        with use_case(self.devices[d].vault) as s:
            return {i.title: i for i in journal.list_interactions(session=s)}

    def _pick(self, d: int, pick: int):
        shown = self._shown(d)
        if not shown:
            return None
        return shown[sorted(shown)[pick % len(shown)]]

    @initialize(cut=st.sampled_from([1, 2, 5, 1000]))
    def shared_entries(self, cut):
        """Two entries every device already has, so edits can collide from the first step;
        segments of `cut` row changes (1: rows cut all the time; more: a field sent twice in
        one segment)."""
        exchange.OPS_PER_SEGMENT = cut
        self.write_entry(0, "Northwind")
        self.write_entry(1, "Contoso")
        settle(self.devices, self.cloud, rounds=2)

    # --- what users do ---------------------------------------------------------------------
    @rule(d=device_index, partner=st.sampled_from(PARTNERS))
    def write_entry(self, d, partner):
        title, text = self._next("Entry "), self._next("text ")
        device = self.devices[d]

        def create():
            with use_case(device.vault, write=True) as s:
                found = [p for p in journal.list_partners(session=s) if p.name == partner]
                p = found[0] if found else journal.create_partner(
                    session=s, partner_in={"name": partner})
                journal.create_interaction(session=s, interaction_in={
                    "partner_id": p.id, "title": title, "notes": text, "tags": ["qbr"]})
        device.with_clock(create)
        self.created.add(title)
        self.written.append((title, "notes", text))

    @rule(d=device_index, pick=st.integers(0, 999), field=st.sampled_from(["notes", "reflection"]))
    def edit_text(self, d, pick, field):
        entry = self._pick(d, pick)
        if entry is None:
            return
        text = self._next("text ")
        self._update(d, entry.id, {field: text})
        self.replaced.add((entry.title, field, getattr(entry, field)))
        self.written.append((entry.title, field, text))

    @rule(d=device_index, pick=st.integers(0, 999), difficulty=st.integers(0, 5),
          tags=st.sets(st.sampled_from(["qbr", "exec", "risk"]), max_size=3))
    def edit_scalars(self, d, pick, difficulty, tags):
        entry = self._pick(d, pick)
        if entry is not None:
            self._update(d, entry.id, {"difficulty": difficulty, "tags": sorted(tags)})

    def _update(self, d: int, entry_id: int, changes: dict) -> None:
        device = self.devices[d]

        def update():
            with use_case(device.vault, write=True) as s:
                journal.update_interaction(session=s, interaction_id=entry_id,
                                           interaction_in=changes)
        device.with_clock(update)

    @rule(d=device_index, pick=st.integers(0, 999))
    def delete_entry(self, d, pick):
        entry = self._pick(d, pick)
        if entry is None:
            return
        device = self.devices[d]

        def delete():
            with use_case(device.vault, write=True) as s:
                journal.delete_interaction(session=s, interaction_id=entry.id)
        device.with_clock(delete)
        self.deleted.add(entry.title)

    # --- what clocks and the folder do -----------------------------------------------------
    @rule(d=device_index, skew=st.integers(-DAY_MS, DAY_MS))
    def skew_clock(self, d, skew):
        self.devices[d].skew_ms = skew    # a jump back when below the last skew

    @rule(d=device_index)
    def sync(self, d):
        self.devices[d].sync()
        self.cloud.collect(self.devices[d])

    @rule()
    def everyone_in_step(self):
        """Every file to every device once: so the next edits are made on shared entries."""
        settle(self.devices, self.cloud, rounds=1)

    @rule(d=device_index, picks=st.lists(st.integers(0, 10**6), max_size=5), twice=st.booleans())
    def deliver(self, d, picks, twice):
        paths = sorted(self.cloud.files)
        chosen = list(dict.fromkeys(paths[p % len(paths)] for p in picks)) if paths else []
        self.cloud.deliver(self.devices[d], chosen)
        if twice:   # a sync tool's copy of the same file, beside it
            self.cloud.deliver(self.devices[d], [p for p in chosen if p.endswith(".cfs")],
                               copy_as=" (conflicted copy)")

    # --- after full delivery ---------------------------------------------------------------
    def teardown(self):
        try:
            settle(self.devices, self.cloud, rounds=6)
            self._check()
        finally:
            exchange.OPS_PER_SEGMENT = self.cut
            lock_all(self.devices)
            shutil.rmtree(self.base, ignore_errors=True)

    def _check(self):
        exports = [d.export() for d in self.devices]
        assert exports[0] == exports[1] == exports[2]
        shown = self._shown(0)
        assert set(shown) == self.created - self.deleted
        found = {}
        for c in exports[0]["conflicts"]:
            found.setdefault((c[1], c[2]), set()).update(c[4])
        with use_case(self.devices[0].vault) as s:
            states = {json.loads(st_)["title"][0]: json.loads(st_) for (st_,) in
                      s.connection().exec_driver_sql(
                          "SELECT state FROM sync_row WHERE tbl='interaction'")}
        for title, field, text in self.written:
            state = states[title]
            kept = {state[field][0], *state.get("~l:" + field, {}).values()}
            assert text in kept or (title, field, text) in self.replaced, (title, field, text)
            if title not in self.deleted:
                assert text == getattr(shown[title], field) or text in kept \
                    or (title, field, text) in self.replaced


Convergence.TestCase.settings = settings(
    max_examples=int(os.environ.get("SYNC_EXAMPLES", "12")), stateful_step_count=30, deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
TestConvergence = Convergence.TestCase
