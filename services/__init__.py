"""Use cases in plain Python. Nothing here imports PySide6."""
