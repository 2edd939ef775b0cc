"""Confidant: argument parsing, then the desktop app (no command) or one CLI command."""

from __future__ import annotations

import argparse
import math
import sys

from models.enums import (
    CommitmentStatus,
    GovernanceKind,
    InteractionKind,
    OwedBy,
    QuestionKind,
    Stage,
    Stance,
    values,
)

KINDS = values(InteractionKind)
STANCES = values(Stance)
STATUSES = values(CommitmentStatus)
ABOUT = [k for k in values(QuestionKind) if k != QuestionKind.free]  # free: --question
ID_MAX = 2**63 - 1  # SQLite's largest integer


def whole(low: int, high: int):
    """An argparse type: a whole number in [low, high], or one line saying what is allowed."""
    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"'{text[:40]}' is not a whole number") from None
        if not low <= value <= high:
            raise argparse.ArgumentTypeError(
                f"{text[:40]} is out of range ({low} to {high if high < ID_MAX else 'any id'})")
        return value
    parse.__name__ = "whole number"
    return parse


def decimal(low: float, high: float):
    def parse(text: str) -> float:
        try:
            value = float(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"'{text[:40]}' is not a number") from None
        if not math.isfinite(value) or not low <= value <= high:
            raise argparse.ArgumentTypeError(f"{text[:40]} is out of range ({low} to {high})")
        return value
    parse.__name__ = "number"
    return parse


IDENT = whole(1, ID_MAX)


class Parser(argparse.ArgumentParser):
    """A usage mistake is a user error: one line, exit 1."""

    def error(self, message):
        from services.terminal import shown

        self.exit(1, f"{self.prog}: {shown(message)} (see --help)\n")


def build_parser() -> Parser:
    parser = Parser(prog="confidant", description="A private, offline alliance journal.")
    parser.add_argument("--data-dir", help="where the vault lives (or CONFIDANT_DATA_DIR)")
    parser.add_argument("--version", action="store_true", help="print the version and exit")
    parser.add_argument("--self-test", action="store_true",
                        help="check vault, search, advisor and brief on a throwaway vault")
    cmd = parser.add_subparsers(dest="command", parser_class=Parser, metavar="COMMAND")

    cmd.add_parser("init", help="create the vault and print its recovery key once")
    cmd.add_parser("demo", help="load the sample journal")
    p = cmd.add_parser("passphrase", help="set or change the vault's passphrase")
    p.add_argument("--rotate-key", action="store_true",
                   help="also re-encrypt the journal under a new key (an old header copy and "
                        "the old passphrase then open nothing); prints a new recovery key")
    p = cmd.add_parser("keychain", help="keep the key in the system keychain, or always ask")
    p.add_argument("action", choices=["remember", "forget"])

    partner = cmd.add_parser("partner", help="partners").add_subparsers(
        dest="action", required=True, parser_class=Parser)
    p = partner.add_parser("add")
    p.add_argument("name")
    p.add_argument("--kind")
    partner.add_parser("list")

    p = cmd.add_parser("log", help="record an interaction")
    p.add_argument("--partner", required=True)
    p.add_argument("--title", required=True)
    p.add_argument("--kind", choices=KINDS, default="meeting")
    p.add_argument("--date", help="YYYY-MM-DD or YYYY-MM-DD HH:MM (default: now)")
    notes = p.add_mutually_exclusive_group()
    notes.add_argument("--notes")
    notes.add_argument("--notes-file")
    reflection = p.add_mutually_exclusive_group()
    reflection.add_argument("--reflection")
    reflection.add_argument("--reflection-file")
    p.add_argument("--difficulty", type=whole(0, 5), default=0, metavar="0-5")
    p.add_argument("--with", dest="with_", metavar='"Name, Name"', help="participants")
    p.add_argument("--tags", help='"tag, tag"')

    stakeholder = cmd.add_parser("stakeholder", help="people").add_subparsers(
        dest="action", required=True, parser_class=Parser)
    p = stakeholder.add_parser("add")
    p.add_argument("--partner", required=True)
    p.add_argument("--name", required=True)
    p.add_argument("--role", default="")
    p.add_argument("--influence", type=whole(1, 5), default=3, metavar="1-5")
    p.add_argument("--stance", choices=STANCES, default="neutral")
    p.add_argument("--internal", action="store_true", help="a person on our side")

    commitment = cmd.add_parser("commitment", help="promises").add_subparsers(
        dest="action", required=True, parser_class=Parser)
    p = commitment.add_parser("add")
    p.add_argument("--partner", required=True)
    p.add_argument("--owed-by", choices=values(OwedBy), required=True)
    p.add_argument("--text", required=True)
    p.add_argument("--due", help="YYYY-MM-DD")
    p.add_argument("--status", choices=STATUSES, default="open")
    p.add_argument("--interaction", type=IDENT, help="the entry where it was made")
    p = commitment.add_parser("set")
    p.add_argument("id", type=IDENT)
    p.add_argument("--status", choices=STATUSES, required=True)

    trust = cmd.add_parser("trust", help="trust readings").add_subparsers(
        dest="action", required=True, parser_class=Parser)
    p = trust.add_parser("add")
    p.add_argument("--partner", required=True)
    p.add_argument("--stakeholder")
    for part in ("credibility", "reliability", "intimacy", "self-orientation"):
        p.add_argument(f"--{part}", type=whole(1, 10), required=True, metavar="1-10")
    p.add_argument("--date")
    p.add_argument("--interaction", type=IDENT)

    p = cmd.add_parser("list", help="list interactions, newest first")
    p.add_argument("--partner")
    p.add_argument("--limit", type=whole(1, 10**9))
    p.add_argument("--json", action="store_true")

    p = cmd.add_parser("search", help="full-text search")
    p.add_argument("query")
    p.add_argument("--partner")
    p.add_argument("--kind", choices=KINDS)
    p.add_argument("--since")
    p.add_argument("--until")
    p.add_argument("--limit", type=whole(1, 10**6), default=20)
    how = p.add_mutually_exclusive_group()
    how.add_argument("--words", action="store_true", help="words only (FTS5)")
    how.add_argument("--meaning", action="store_true", help="meaning only (embeddings)")
    p.add_argument("--json", action="store_true")

    p = cmd.add_parser("advise", help="angles from the playbook, then the local model's advice")
    p.add_argument("--partner", required=True)
    p.add_argument("--interaction", type=IDENT, help="the entry the question is about")
    p.add_argument("--about", choices=ABOUT,
                   help="the kind of question (default: trust with --interaction, else prepare)")
    p.add_argument("--stakeholder", help="for --about politics: the person")
    p.add_argument("--question", help="a free question")
    p.add_argument("--no-model", action="store_true", help="print the angles only")
    p.add_argument("--all", action="store_true",
                   help="print every angle, not only the few that answer the question")
    p.add_argument("--meeting-date", help="YYYY-MM-DD: the next meeting, for --about prepare")
    p.add_argument("--max-tokens", type=whole(1, 8192))
    p.add_argument("--temperature", type=decimal(0.0, 2.0))
    p.add_argument("--json", action="store_true")

    p = cmd.add_parser("brief", help="a meeting-prep brief as PDF")
    p.add_argument("--partner", required=True)
    p.add_argument("-o", "--output", required=True, metavar="FILE.pdf")
    p.add_argument("--meeting-date", help="YYYY-MM-DD")
    p.add_argument("--purpose", default="")
    p.add_argument("--prepared-by", default="")
    p.add_argument("--include-reflections", action="store_true",
                   help="include private reflections (left out by default)")
    p.add_argument("--with-advice", action="store_true", help="add the latest saved advice")
    p.add_argument("--recent", type=whole(0, 10_000), default=10, metavar="N")
    p.add_argument("--page-size", choices=["A4", "Letter"])

    p = cmd.add_parser("export", help="everything, as Markdown or JSON (plain text)")
    p.add_argument("--format", choices=["markdown", "json"], required=True)
    p.add_argument("-o", "--output", required=True)

    p = cmd.add_parser("backup", help="an encrypted copy, safe while the app runs")
    p.add_argument("-o", "--output", required=True)
    p = cmd.add_parser("restore", help="replace the vault by a backup (the old one is kept)")
    p.add_argument("file")
    p.add_argument("--yes", action="store_true",
                   help="restore a backup of another journal without asking")
    cmd.add_parser("check", help="check every page of the journal (exit 1 if damaged)")
    _practice_parsers(cmd, partner, stakeholder)
    _voice_parsers(cmd)
    _suggest_parsers(cmd)
    _sync_parsers(cmd)
    _model_parsers(cmd)
    return parser


def _model_parsers(cmd) -> None:
    """The model library (issue 12): GGUF files and inference servers."""
    models = cmd.add_parser("models", help="the model library: GGUF files and servers") \
        .add_subparsers(dest="action", required=True, parser_class=Parser)
    p = models.add_parser("list", help="every model, the one in use marked")
    p.add_argument("--json", action="store_true")
    p = models.add_parser("recommended", help="instruct models worth getting, by memory")
    p.add_argument("--json", action="store_true")
    p = models.add_parser("add", help="add a GGUF file (checked; its SHA-256 recorded)")
    p.add_argument("path")
    p.add_argument("--copy", action="store_true", help="copy it into the data folder")
    p.add_argument("--name", help="the library name (default: from the file name)")
    p = models.add_parser("add-server", help="an OpenAI-compatible server (no connection now)")
    p.add_argument("name")
    p.add_argument("--url", required=True, help="e.g. http://127.0.0.1:11434/v1")
    p.add_argument("--model", required=True, help="the model's name on the server")
    p.add_argument("--api-key-env", metavar="VAR", help="the environment variable with the key")
    p.add_argument("--keychain", action="store_true",
                   help="keep the key from --api-key-env in the system keychain now")
    p.add_argument("--allow-remote", action="store_true",
                   help="allow a host that is not this machine: journal excerpts go there")
    p = models.add_parser("found", help="GGUFs from LM Studio, GPT4All, Jan, Ollama and "
                          "servers on 127.0.0.1, in their known places only")
    p.add_argument("--json", action="store_true")
    p = models.add_parser("add-found", help="add model N of 'models found' (used where it is)")
    p.add_argument("number", type=int, metavar="N")
    p.add_argument("--name", help="the library name (default: from what was found)")
    for action, text in (("use", "the model the advisor uses"), ("remove", "forget a model")):
        models.add_parser(action, help=text).add_argument("name")
    p = models.add_parser("probe", help="measure prompt and generation speed on this machine")
    p.add_argument("name")
    p.add_argument("--json", action="store_true")
    p = models.add_parser("show-request", help="exactly what a server would be sent")
    p.add_argument("name")
    p.add_argument("--partner", required=True)
    p.add_argument("--about", choices=ABOUT)
    p.add_argument("--question")


def _practice_parsers(cmd, partner, stakeholder) -> None:
    """Alliance practice (issue 14): stage, health checks, governance, keeping in touch, since
    we last spoke, what worked before, the portfolio, calendar import."""
    stakeholder.choices["add"].add_argument("--email", default="")
    p = partner.add_parser("set", help="the partner's lifecycle stage")
    p.add_argument("name")
    p.add_argument("--stage", choices=values(Stage), required=True)
    p = stakeholder.add_parser("set", help="a person's e-mail and keep-in-touch cadence")
    p.add_argument("--partner", required=True)
    p.add_argument("--name", required=True)
    p.add_argument("--email")
    p.add_argument("--ideal-days", type=whole(1, 3650), metavar="DAYS")
    p.add_argument("--max-days", type=whole(1, 3650), metavar="DAYS")

    checkup = cmd.add_parser("checkup", help="alliance health checks").add_subparsers(
        dest="action", required=True, parser_class=Parser)
    p = checkup.add_parser("add")
    p.add_argument("--partner", required=True)
    for axis in ("strategic", "operational", "relational"):
        p.add_argument(f"--{axis}", type=whole(1, 5), required=True, metavar="1-5")
        p.add_argument(f"--their-{axis}", type=whole(1, 5), metavar="1-5",
                       help="their view, as I read it")
        p.add_argument(f"--{axis}-evidence", default="", metavar="TEXT")
    p.add_argument("--note", default="")
    p.add_argument("--date", help="YYYY-MM-DD (default: today)")
    p = checkup.add_parser("list", help="the history, with gaps and drops")
    p.add_argument("--partner", required=True)
    p.add_argument("--json", action="store_true")

    gov = cmd.add_parser("governance", help="governance cadence").add_subparsers(
        dest="action", required=True, parser_class=Parser)
    p = gov.add_parser("add")
    p.add_argument("--partner", required=True)
    p.add_argument("--kind", choices=values(GovernanceKind), required=True)
    p.add_argument("--every", type=whole(1, 3650), required=True, metavar="DAYS")
    p.add_argument("--next", help="YYYY-MM-DD (default: today + DAYS)")
    p.add_argument("--label", default="", help="the meeting's name (for --kind other)")
    p = gov.add_parser("list", help="next due dates, overdue first")
    p.add_argument("--partner")
    p.add_argument("--json", action="store_true")

    p = cmd.add_parser("touch", help="keeping in touch: who is past their cadence")
    p.add_argument("--partner")
    p.add_argument("--all", action="store_true", help="everyone counted, not only those "
                   "past their ideal cadence")
    p.add_argument("--json", action="store_true")

    p = cmd.add_parser("since", help="what happened since you last spoke with a person")
    p.add_argument("--partner", required=True)
    p.add_argument("--stakeholder", required=True)
    p.add_argument("--json", action="store_true")

    p = cmd.add_parser("precedents", help="what worked before: past episodes and recovery")
    p.add_argument("--partner", help="only this partner's episodes")
    p.add_argument("--kind", choices=["trust_drop", "broken_promise", "blocker"])
    p.add_argument("--json", action="store_true")

    p = cmd.add_parser("portfolio", help="every partner's row and every open alert")
    p.add_argument("--json", action="store_true")

    importer = cmd.add_parser("import", help="import from other tools").add_subparsers(
        dest="source", required=True, parser_class=Parser)
    p = importer.add_parser("ics", help="meetings from a calendar export (.ics)")
    p.add_argument("file")
    p.add_argument("--partner", required=True)
    p.add_argument("--json", action="store_true")



def _suggest_parsers(cmd) -> None:
    """Suggestions from notes (issue 23): promises, people and warning signs to accept."""
    cmd.choices["log"].add_argument("--suggest", action="store_true",
                                    help="after saving, print what the notes propose")
    p = cmd.add_parser("suggest", help="promises, people and warning signs from an entry's notes")
    p.add_argument("entry", type=IDENT, metavar="ENTRY_ID")
    p.add_argument("numbers", nargs="?", metavar="N,M", help="with --accept: which to apply")
    p.add_argument("--accept", action="store_true", help="apply suggestions N,M in one go")
    p.add_argument("--model", action="store_true",
                   help="also ask the model in use where the rules miss (slower)")
    p.add_argument("--json", action="store_true")


def _sync_parsers(cmd) -> None:
    """Sync (issue 24): end-to-end encrypted, through a folder the user already syncs."""
    sync = cmd.add_parser("sync", help="end-to-end encrypted sync through a folder you choose") \
        .add_subparsers(dest="action", required=True, parser_class=Parser)
    for action, text in (("init", "turn sync on here, the first device"),
                         ("join", "another device: take the journal from the folder")):
        p = sync.add_parser(action, help=text)
        p.add_argument("folder", metavar="FOLDER", help="a folder Syncthing, Dropbox, iCloud "
                       "Drive or a USB stick carries between the devices")
        p.add_argument("--recovery-key", action="store_true",
                       help="the other device unlocks with the journal's recovery key "
                            "(CONFIDANT_RECOVERY_KEY), not its passphrase")
        p.add_argument("--name", help="this device's name (default: the computer's)")
    sync.add_parser("now", help="send this device's changes, apply the others'")
    p = sync.add_parser("status", help="devices, changes to send, conflicts")
    p.add_argument("--json", action="store_true")
    p = sync.add_parser("conflicts", help="texts changed on two devices, both kept")
    p.add_argument("--json", action="store_true")
    p = sync.add_parser("resolve", help="keep one version of conflict N")
    p.add_argument("number", type=whole(1, 10**9), metavar="N")
    p.add_argument("--keep", choices=["current", "other"], required=True)
    p.add_argument("--other", type=whole(1, 10**9), metavar="K",
                   help="which other version (when there are several)")
    p = sync.add_parser("trash", help="partners and entries deleted since sync was on")
    p.add_argument("--json", action="store_true")
    p = sync.add_parser("restore", help="bring item N of the Trash back")
    p.add_argument("number", type=whole(1, 10**9), metavar="N")
    sync.add_parser("leave", help="stop syncing here; the journal stays as it is")


def _voice_parsers(cmd) -> None:
    """Voice (issue 15): a memo transcribed on this machine, into a new entry or printed."""
    p = cmd.choices["log"]
    p.add_argument("--audio", metavar="FILE",
                   help="a voice memo (wav, m4a, mp3, ogg): transcribed here, never uploaded")
    p.add_argument("--into", choices=["notes", "reflection"],
                   help="where the transcript goes (default: notes)")
    p.add_argument("--language", metavar="xx", help="the memo's language (default: detected)")
    p = cmd.add_parser("transcribe", help="a voice memo as text, transcribed on this machine")
    p.add_argument("file")
    p.add_argument("--partner", help="spell this partner's and its people's names right")
    p.add_argument("--language", metavar="xx", help="the memo's language (default: detected)")
    p.add_argument("--json", action="store_true")
def main(argv: list[str] | None = None) -> int:
    import os

    os.umask(0o077)  # every file and folder we create (journal, sidecars, logs, exports): ours only
    try:
        args = build_parser().parse_args(argv)
    except SystemExit as stop:  # --help, or a usage error already printed
        return int(stop.code or 0)
    if args.data_dir is not None and not args.data_dir.strip():
        print("confidant: --data-dir is empty; give a folder (or leave it out for the "
              "default).", file=sys.stderr)
        return 1
    if args.version:
        from services.about import version

        print(f"Confidant {version()}")
        return 0
    if args.self_test:
        from ui.selftest import run_self_test

        return 1 if run_self_test() else 0
    if args.command is None:
        from ui.app import run_app

        return run_app(args)
    from ui.cli import run_command

    return run_command(args)


if __name__ == "__main__":
    sys.exit(main())
