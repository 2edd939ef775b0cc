"""SQLModel tables, the SQLCipher engine and migrations. Nothing here imports PySide6."""
