"""The question chooses: of every angle the playbook raises, at most LEAD answer the question
asked (trust, politics, strategy, prepare, or the user's own words); the rest stay one click
(or `--all`) away, in their order of urgency.

Fit to the question comes first, urgency second: the selected entry's own angle and the user's
own plan open any answer; 'prepare' opens with the next meeting; a question in the user's words
is matched by the words it shares with each angle. A stance that later entries contradict is
never among the leading angles (it asks to be confirmed first).
"""

from __future__ import annotations

from services.advice.grounding import content_stems
from services.advice.playbook import Angle

LEAD = 3
NEVER_LEADS = frozenset({"stance_check"})
KIND_WORDS = {"trust": {"trust", "promise", "reliab", "apolog", "repair", "rebuild"},
              "politics": {"politic", "blocker", "skeptic", "sponsor", "champion", "stakeholder",
                           "veto", "navigat"},
              "strategy": {"strateg", "align", "goal", "roadmap", "plan", "priorit"},
              "prepare": {"prepar", "meeting", "agenda", "steerco", "qbr", "board", "review",
                          "next"}}


def _kinds_asked(kind: str, question: str) -> set[str]:
    if kind != "free":
        return {kind}
    stems = content_stems(question)
    return {k for k, words in KIND_WORDS.items()
            if any(s.startswith(w) for s in stems for w in words)}


def fit(angle: Angle, kinds: set[str], question_stems: set[str], person: str | None) -> int:
    score = 0
    if angle.rule == "selected_entry":
        score += 8
    if angle.rule == "own_plan":
        score += 6
    if angle.category in kinds:
        score += 7 if angle.category == "prepare" else 4
    if "prepare" in kinds:      # whatever is most urgent comes into the room too
        score += 1
    if question_stems:
        score += min(3, len(question_stems & content_stems(f"{angle.title} {angle.why}")))
    if person and person in f"{angle.title} {angle.why}":
        score += 5
    return score


def choose(angles: list[Angle], *, kind: str, question: str = "",
           person: str | None = None) -> list[Angle]:
    """The angles reordered: up to LEAD that answer the question first (marked `leads`; when
    fewer fit it, the most urgent of the others fill in), then the rest in their earlier order
    (urgency, or the selected entry's)."""
    kinds = _kinds_asked(kind, question)
    stems = content_stems(question) if kind == "free" else set()
    scores = {n: fit(a, kinds, stems, person) for n, a in enumerate(angles)
              if a.rule not in NEVER_LEADS}
    ranked = sorted(scores, key=lambda n: (-scores[n], n))
    fitting = [n for n in ranked if scores[n] > 0][:LEAD]
    chosen = fitting + [n for n in ranked if n not in fitting][:LEAD - len(fitting)]
    for n, a in enumerate(angles):
        a.leads = n in chosen
    return [angles[n] for n in chosen] + [a for n, a in enumerate(angles) if n not in chosen]


def leading(angles: list[Angle]) -> list[Angle]:
    return [a for a in angles if a.leads]
