"""What the advisor takes from the meaning index (issue 22): the partner's entries nearest a
question or an angle, and how alike two sets of entries are (for 'what worked before' across
partners). Only when the meaning model and the index are there; otherwise `nearby` is None and
the advisor reads by words and rules, as before."""

from __future__ import annotations

import numpy as np
from sqlmodel import Session

from services.advice.signals import PartnerSnapshot
from services.memory.vectors import Matrix, matrix, nearest


class Nearby:
    def __init__(self, embedder, snapshot: PartnerSnapshot, m: Matrix):
        self.embedder, self.snapshot, self.m = embedder, snapshot, m
        self.by_id = {i.id: i for i in snapshot.interactions}

    def entries(self, text: str, limit: int = 6) -> list:
        """The partner's entries nearest the text in meaning (private reflections included:
        the app and the model's context may read them; the brief decides what it prints)."""
        vector = self.embedder.embed([text[:2000]])[0]
        hits = nearest(self.m, vector, limit=limit, partner_id=self.snapshot.partner.id)
        return [self.by_id[h.interaction_id] for h in hits if h.interaction_id in self.by_id]

    def likeness(self, these: list[int], those: list[int]) -> float:
        """Cosine between the mean vectors of two sets of entries (0 when one has none)."""
        means = []
        for ids in (these, those):
            rows = np.isin(self.m.entries, np.asarray(list(ids), np.int64))
            if not rows.any():
                return 0.0
            mean = self.m.vectors[rows].mean(axis=0)
            means.append(mean / (np.linalg.norm(mean) or 1.0))
        return float(means[0] @ means[1])


def nearby(session: Session, embedder, snapshot: PartnerSnapshot) -> Nearby | None:
    if embedder is None:
        return None
    m = matrix(session, embedder.dimensions)
    return Nearby(embedder, snapshot, m) if m.count else None
