"""Advice: the playbook's angles, the text engines (in-process llama.cpp or a server) behind
one seam (engine.py), the grounding check, and the model library."""
