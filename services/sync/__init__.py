"""Sync between devices through a folder the user picks (issue 24); see `service` for the use
cases, `exchange` for a round, `ledger` for the merge, `capture` for the outbox, `sealed` for
the files. Nothing here imports PySide6."""
