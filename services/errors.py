"""Every error a service raises on purpose. The UI and the CLI map them to one message each."""


class ConfidantError(Exception):
    """Base of the errors a user can act on; str(err) is the one line shown to them."""


class BrokenResource(ConfidantError):
    """A file Confidant ships under resources/ is missing or malformed: a broken install."""


# --- the vault -------------------------------------------------------------------------------
class VaultError(ConfidantError):
    """The vault cannot be opened (the CLI exits 2)."""


class NoVault(VaultError):
    pass


class VaultExists(ConfidantError):
    pass


class WrongKey(VaultError):
    pass


class CorruptVault(VaultError):
    pass


class VaultLocked(VaultError):
    pass


class VaultInUse(VaultError):
    pass


class NeedsPassphrase(VaultError):
    """Locked, and nothing at hand to unlock it with."""


class HeaderUncertain(ConfidantError):
    """The disk failed after the vault header was replaced, and putting the old one back failed
    too: the message says which passphrases to try."""


class KeychainUnavailable(ConfidantError):
    pass


# --- the journal -----------------------------------------------------------------------------
class NotFound(ConfidantError):
    pass


class InvalidInput(ConfidantError):
    pass


class Conflict(ConfidantError):
    """The action would lose data or break a rule (e.g. deleting a partner with entries)."""


class StorageFull(ConfidantError):
    pass


class ReadOnlyJournal(ConfidantError):
    """The data dir cannot be written: the journal can be read, nothing can be saved."""


class JournalBusy(ConfidantError):
    """Another program kept the journal's write lock past the busy timeout (the CLI exits 1)."""


# --- the model -------------------------------------------------------------------------------
class ModelUnavailable(InvalidInput):
    """No model can be used (missing, refused, failed to load): the angles still work."""


class Interrupted(ConfidantError):
    """The user cancelled; shown as nothing."""


class ServerFailed(ModelUnavailable):
    """A model server is down, refused, timed out, sent garbage or is not allowed: one line."""


class SyncError(ConfidantError):
    """Sync cannot do what was asked: one line says why and what to do."""
