"""Sync's bookkeeping (issue 24), inside the encrypted file and never synced itself.

- `sync_state`: this device's settings and clock (device id, journal id, folder, the hybrid
  logical clock, the next segment number, the sync key).
- `sync_row`: the merged state of every synced row by its portable id (uid): each field's value
  with the clock that wrote it, tombstones included. The journal's own tables are a projection
  of it; `local_key` is the row's key in them (an integer id, a setting's name).
- `sync_wait`: rows that cannot be shown yet because a parent they point at is missing or in the
  Trash, by that parent's uid, so the parent's arrival brings them back.
- `sync_outbox`: operations this device wrote, in the same transaction as the use case;
  `seq` is the segment they went out in (null: not yet sealed).
- `sync_peer`: every other device seen in the folder: the last segment applied, what it said.
"""

from __future__ import annotations

from sqlalchemy import Index
from sqlmodel import Field, SQLModel


class SyncState(SQLModel, table=True):
    __tablename__ = "sync_state"
    key: str = Field(primary_key=True, max_length=40)
    value: str


class SyncRow(SQLModel, table=True):
    __tablename__ = "sync_row"
    __table_args__ = (Index("ix_sync_row_local", "tbl", "local_key"),)
    tbl: str = Field(primary_key=True, max_length=40)
    uid: str = Field(primary_key=True, max_length=40)
    local_key: str | None = Field(default=None, max_length=200)
    state: str


class SyncWait(SQLModel, table=True):
    __tablename__ = "sync_wait"
    parent: str = Field(primary_key=True, max_length=40)
    tbl: str = Field(primary_key=True, max_length=40)
    uid: str = Field(primary_key=True, max_length=40)


class SyncOutbox(SQLModel, table=True):
    __tablename__ = "sync_outbox"
    n: int | None = Field(default=None, primary_key=True)
    seq: int | None = None   # (no index: a small table, read when sealing; one page less per save)
    op: str


class SyncPeer(SQLModel, table=True):
    __tablename__ = "sync_peer"
    device: str = Field(primary_key=True, max_length=40)
    seq: int = 0
    info: str = "{}"
