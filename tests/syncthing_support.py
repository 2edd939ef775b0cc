"""Two real Syncthing instances on 127.0.0.1 for the sync tests (issue 24).

Each instance has its own home (config, keys, database) and its own copy of one shared folder;
they know each other only by an explicit tcp://127.0.0.1:PORT address. Discovery (global and
local), relays, NAT traversal, usage reports, crash reports and upgrades are all off, so nothing
leaves the machine. The test process talks to each instance's REST API on loopback.

Debian's package is `syncthing` (`make test` installs it); `syncthing_binary()` installs it
when it is missing and this is root with apt-get, and says why not otherwise.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from pathlib import Path

FOLDER_ID = "confidant-sync-test"
MARKER_DIR = ".stfolder"         # Syncthing's folder marker; it refuses a folder without one
_NO_PROXY = urllib.request.build_opener(urllib.request.ProxyHandler({}))


def syncthing_binary() -> tuple[str | None, str]:
    """The path of `syncthing`, installing Debian's package if needed: (path, reason if none)."""
    found = shutil.which("syncthing")
    if found:
        return found, ""
    if os.name != "posix" or os.geteuid() != 0 or not shutil.which("apt-get"):
        return None, ("the syncthing binary is not installed and cannot be installed here "
                      "(needs root and apt-get): apt-get install syncthing, or run `make test`")
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    install = ["apt-get", "install", "-y", "-qq", "--no-install-recommends", "syncthing"]
    errors = ""
    for steps in ([install], [["apt-get", "update", "-qq"], install]):
        try:
            for step in steps:
                subprocess.run(step, env=env, check=True, capture_output=True, timeout=600)
        except (OSError, subprocess.SubprocessError) as err:
            out = getattr(err, "stderr", b"") or b""
            errors = f"{err} {out.decode(errors='replace').strip()[-300:]}"
            continue
        found = shutil.which("syncthing")
        if found:
            return found, ""
    return None, f"the syncthing binary is absent and apt-get could not install it: {errors}"


def free_ports(count: int) -> list[int]:
    """`count` distinct free TCP ports on 127.0.0.1 (all held until all are chosen)."""
    socks = []
    try:
        for _ in range(count):
            sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            socks.append(sock)
            sock.bind(("127.0.0.1", 0))
        return [sock.getsockname()[1] for sock in socks]
    finally:
        for sock in socks:
            sock.close()


@dataclass
class Node:
    """One Syncthing instance: its home, its copy of the shared folder, its ports."""

    name: str
    binary: str
    home: Path
    folder: Path
    gui_port: int = 0
    listen_port: int = 0
    api_key: str = field(default_factory=lambda: os.urandom(16).hex())
    device_id: str = ""
    process: subprocess.Popen | None = None

    @property
    def log(self) -> Path:
        return self.home / "syncthing.log"

    @property
    def address(self) -> str:
        return f"tcp://127.0.0.1:{self.listen_port}"

    def env(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.lower().endswith("_proxy")}
        env.update(HOME=str(self.home), STNODEFAULTFOLDER="1", STNOUPGRADE="1",
                   STNORESTART="1")
        return env

    # --- set-up ---------------------------------------------------------------------------
    def generate(self) -> None:
        """Keys and a default config.xml; this instance's device ID read back from it."""
        self.home.mkdir(parents=True, exist_ok=True)
        self.folder.mkdir(parents=True, exist_ok=True)
        (self.folder / MARKER_DIR).mkdir(exist_ok=True)
        for argv in ([self.binary, "generate", "--home", str(self.home), "--no-default-folder"],
                     [self.binary, f"-generate={self.home}"]):   # the old flag style
            done = subprocess.run(argv, env=self.env(), capture_output=True, text=True,
                                  timeout=60)
            if done.returncode == 0 and (self.home / "config.xml").is_file():
                break
        else:
            raise RuntimeError(f"syncthing could not generate a config in {self.home}: "
                               f"{done.stdout}{done.stderr}")
        root = ET.parse(self.home / "config.xml").getroot()
        self.device_id = root.find("device").get("id")

    def configure(self, peer: Node, *, dials: bool) -> None:
        """Rewrite config.xml: loopback only, nothing announced, `peer` and the shared folder.

        Only one of the two may dial (`dials`): Syncthing dials from its own listening port, so
        two instances dialling each other's loopback port at the same moment make one TCP
        connection by simultaneous open, both ends TLS clients, and the Hello exchange hangs
        for its 20 s timeout (seen here with 1.19.2, about one start in ten). The other
        device is listed without an address (`dynamic`, and discovery is off): it only accepts.
        """
        path = self.home / "config.xml"
        tree = ET.parse(path)
        root = tree.getroot()
        for old in root.findall("device") + root.findall("folder"):
            root.remove(old)
        devices = [_device(self.device_id, self.name, "dynamic"),
                   _device(peer.device_id, peer.name, peer.address if dials else "dynamic")]
        for index, device in enumerate(devices):
            root.insert(index, device)
        folder = ET.Element("folder", {
            "id": FOLDER_ID, "label": "Confidant test", "path": str(self.folder),
            "type": "sendreceive", "rescanIntervalS": "2", "fsWatcherEnabled": "true",
            "fsWatcherDelayS": "1", "ignorePerms": "false", "autoNormalize": "true"})
        for device_id in (self.device_id, peer.device_id):
            ET.SubElement(folder, "device", {"id": device_id, "introducedBy": ""})
        _text(folder, "filesystemType", "basic")
        _text(folder, "markerName", MARKER_DIR)
        _text(folder, "paused", "false")
        root.insert(len(devices), folder)

        gui = root.find("gui")
        gui.set("enabled", "true")
        gui.set("tls", "false")
        _text(gui, "address", f"127.0.0.1:{self.gui_port}")
        _text(gui, "apikey", self.api_key)
        options = root.find("options")
        for name, value in {
            "listenAddress": self.address,
            "globalAnnounceEnabled": "false", "localAnnounceEnabled": "false",
            "relaysEnabled": "false", "natEnabled": "false",
            "urAccepted": "-1", "urSeen": "3", "autoUpgradeIntervalH": "0",
            "startBrowser": "false", "crashReportingEnabled": "false",
            "reconnectionIntervalS": "1", "announceLANAddresses": "false",
            "setLowPriority": "false", "progressUpdateIntervalS": "1",
        }.items():
            for old in options.findall(name):
                options.remove(old)
            _text(options, name, value)
        for name in ("globalAnnounceServer", "stunServer"):   # not asked, but never reached
            for old in options.findall(name):
                options.remove(old)
        tree.write(path, encoding="unicode")

    # --- the process ----------------------------------------------------------------------
    def start(self) -> None:
        with open(self.log, "ab") as log:
            self.process = subprocess.Popen(
                [self.binary, "serve", "--home", str(self.home), "--no-browser",
                 "--no-restart", "--no-upgrade"],
                env=self.env(), stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
                start_new_session=True)

    def stop(self) -> None:
        """Ends this instance (and only it: it runs in its own process group)."""
        proc, self.process = self.process, None
        if proc is None or proc.poll() is not None:
            return
        for sig, wait in ((signal.SIGTERM, 5), (signal.SIGKILL, 5)):
            try:
                os.killpg(proc.pid, sig)
            except ProcessLookupError:
                pass
            try:
                proc.wait(timeout=wait)
                return
            except subprocess.TimeoutExpired:
                continue

    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def log_tail(self, chars: int = 3000) -> str:
        try:
            return self.log.read_text(errors="replace")[-chars:]
        except OSError:
            return ""

    # --- REST -----------------------------------------------------------------------------
    def api(self, path: str, *, method: str = "GET", timeout: float = 5):
        request = urllib.request.Request(f"http://127.0.0.1:{self.gui_port}{path}",
                                         method=method, headers={"X-API-Key": self.api_key})
        with _NO_PROXY.open(request, timeout=timeout) as response:
            body = response.read()
        return json.loads(body) if body.strip() else None

    def ready(self) -> bool:
        try:
            return self.api("/rest/system/status").get("myID") == self.device_id
        except (OSError, ValueError):
            return False

    def listening(self) -> bool:
        """Up, and its BEP listener bound (the peer's first dial then finds it: a dial that
        fails at start-up is tried again only seconds later)."""
        try:
            status = self.api("/rest/system/status")
        except (OSError, ValueError):
            return False
        found = (status.get("connectionServiceStatus") or {}).get(self.address) or {}
        return (status.get("myID") == self.device_id and not found.get("error")
                and bool(found.get("lanAddresses")))

    def connected_to(self, peer: Node) -> bool:
        try:
            found = self.api("/rest/system/connections")["connections"].get(peer.device_id)
        except (OSError, ValueError, KeyError):
            return False
        return bool(found and found.get("connected"))

    def scan(self) -> None:
        """Ask for a rescan now instead of waiting for the watcher (best effort)."""
        try:
            self.api(f"/rest/db/scan?folder={FOLDER_ID}", method="POST", timeout=10)
        except (OSError, ValueError):
            pass


def _device(device_id: str, name: str, address: str) -> ET.Element:
    device = ET.Element("device", {"id": device_id, "name": name, "compression": "metadata",
                                   "introducer": "false", "skipIntroductionRemovals": "false",
                                   "introducedBy": ""})
    for tag, value in (("address", address), ("paused", "false"),
                       ("autoAcceptFolders", "false"), ("untrusted", "false")):
        _text(device, tag, value)
    return device


def _text(parent: ET.Element, tag: str, value: str) -> None:
    element = parent.find(tag)
    if element is None:
        element = ET.SubElement(parent, tag)
    element.text = value


class SyncthingPair:
    """Two instances sharing one folder: `a.folder` and `b.folder` are its two copies."""

    def __init__(self, binary: str, base: Path):
        gui_a, listen_a, gui_b, listen_b = free_ports(4)
        self.a = Node("alpha", binary, base / "st-home-a", base / "synced-a", gui_a, listen_a)
        self.b = Node("beta", binary, base / "st-home-b", base / "synced-b", gui_b, listen_b)
        self.nodes = (self.a, self.b)

    def start(self, timeout: float = 60) -> None:
        for node in self.nodes:
            node.generate()
        self.a.configure(self.b, dials=False)
        self.b.configure(self.a, dials=True)
        self.a.start()   # the one that only accepts: listening before the other dials
        self.wait_for(self.a.listening, timeout, f"{self.a.name} listening")
        self.b.start()
        self.wait_for(self.b.ready, timeout, f"{self.b.name}'s REST API up")
        self.wait_for(lambda: self.a.connected_to(self.b) and self.b.connected_to(self.a),
                      timeout, "the two instances connected")

    def stop(self) -> None:
        for node in self.nodes:
            node.stop()

    def wait_for(self, done, timeout: float, what: str, *, every: float = 0.1,
                 between=None) -> None:
        """Polls `done()` until it is true; `between()` runs after each miss."""
        deadline = time.monotonic() + timeout
        while True:
            if done():
                return
            dead = [n for n in self.nodes if n.process is not None and not n.alive()]
            if dead or time.monotonic() > deadline:
                why = "exited" if dead else f"timed out after {timeout:.0f} s"
                logs = "\n".join(f"--- {n.name} ({n.log}):\n{n.log_tail()}" for n in self.nodes)
                raise AssertionError(f"Syncthing {why} waiting for {what}.\n{logs}")
            if between is not None:
                between()
            time.sleep(every)

    def deliver(self, source: Node, target: Node, sub: str = "Confidant",
                timeout: float = 60, between=None) -> None:
        """Wait until every file under source.folder/sub is in target.folder/sub, byte for
        byte (Syncthing writes a temporary name, then renames: a present file is whole);
        `between()` runs at each poll (a check that must hold all along)."""
        last_scan = [0.0]

        def nudge():
            if between is not None:
                between()
            if time.monotonic() - last_scan[0] > 1:
                source.scan()
                last_scan[0] = time.monotonic()

        self.wait_for(lambda: missing(source.folder / sub, target.folder / sub) == [],
                      timeout, f"{source.name}'s {sub}/ to reach {target.name}", between=nudge)


def missing(src: Path, dst: Path) -> list[str] | None:
    """Files under src (its own temporary dot-names left out) not identical under dst; None
    when src has no file yet."""
    names = [rel for rel in _files(src) if not any(p.startswith(".") for p in rel.parts)]
    if not names:
        return None
    out = []
    for rel in names:
        try:
            same = (dst / rel).read_bytes() == (src / rel).read_bytes()
        except OSError:
            same = False
        if not same:
            out.append(str(rel))
    return out


def files_holding(folder: Path, needle: bytes) -> list[str]:
    """Every file under `folder` (dot-names, temporaries and Syncthing's own included) whose
    bytes hold `needle`."""
    out = []
    for rel in _files(folder):
        try:
            if needle in (folder / rel).read_bytes():
                out.append(str(rel))
        except OSError:
            continue
    return out


def _files(folder: Path) -> list[Path]:
    """Regular files under `folder`, relative to it; a folder vanishing meanwhile is skipped."""
    out = []
    for top, _dirs, names in os.walk(folder):
        for name in names:
            path = Path(top, name)
            if path.is_file() and not path.is_symlink():
                out.append(path.relative_to(folder))
    return out
