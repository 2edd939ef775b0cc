"""Shared fixtures: a temporary data dir, an in-memory keychain, an open vault."""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import keyring  # noqa: E402
import pytest  # noqa: E402
from keyring.backend import KeyringBackend  # noqa: E402
from keyring.errors import PasswordDeleteError  # noqa: E402

from services import vault as vault_service  # noqa: E402
from services.store import use_case  # noqa: E402
from tests.ui_support import open_window, settle  # noqa: E402
from ui.context import AppContext  # noqa: E402
from ui.tasks import TaskRunner  # noqa: E402


class MemoryKeyring(KeyringBackend):
    """Stands in for the OS keychain (the one true boundary we fake)."""

    priority = 10

    def __init__(self):
        super().__init__()
        self.store: dict[tuple[str, str], str] = {}

    def get_password(self, service, username):
        return self.store.get((service, username))

    def set_password(self, service, username, password):
        self.store[(service, username)] = password

    def delete_password(self, service, username):
        if (service, username) not in self.store:
            raise PasswordDeleteError("not found")
        del self.store[(service, username)]


@pytest.fixture(scope="session", autouse=True)
def _qapplication_first(qapp):
    """A QApplication before any test: the CLI's brief and self-test create a bare
    QGuiApplication when none exists, and widgets cannot live in one."""
    return qapp


@pytest.fixture(autouse=True)
def no_internet(monkeypatch):
    """Offline by construction: in every test, a connection to any network address fails.
    (Local Unix sockets stay allowed; test_llm.py forbids every socket on the advise path.)"""
    import socket

    def refuse(self, address, *args):
        if self.family in (socket.AF_INET, socket.AF_INET6):
            raise OSError(f"test tried to reach the network: {address}")
        return original[0](self, address, *args)

    original = [socket.socket.connect]
    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket.socket, "connect_ex", refuse)


@pytest.fixture
def loopback_only(no_internet, monkeypatch):
    """Lets connections to 127.0.0.0/8 and ::1 through (a test's own servers); any other
    network address is refused and recorded."""
    import _socket
    import ipaddress
    import socket

    attempts: list = []

    def guarded(self, address, *args):
        if self.family in (socket.AF_INET, socket.AF_INET6):
            try:
                local = ipaddress.ip_address(str(address[0]).split("%")[0]).is_loopback
            except ValueError:
                local = False
            if not local:
                attempts.append(address)
                raise OSError(f"test tried to reach the network: {address}")
        return _socket.socket.connect(self, address, *args)

    monkeypatch.setattr(socket.socket, "connect", guarded)
    return attempts


@pytest.fixture
def no_sockets(monkeypatch):
    """Stricter than no_internet: every attempt to open a socket, of any family, raises; the
    attempts are recorded for the test to assert on."""
    import socket

    attempts = []

    def refuse(*args, **kwargs):
        attempts.append(args)
        raise OSError("network disabled in this test")

    class NoSocket(socket.socket):
        def __init__(self, *args, **kwargs):
            refuse(*args)

    monkeypatch.setattr(socket, "socket", NoSocket)
    for name in ("create_connection", "getaddrinfo", "socketpair", "fromfd"):
        monkeypatch.setattr(socket, name, refuse)
    return attempts


@pytest.fixture(autouse=True)
def memory_keyring(monkeypatch):
    monkeypatch.delenv("CONFIDANT_PASSPHRASE", raising=False)
    monkeypatch.delenv("CONFIDANT_DATA_DIR", raising=False)
    backend = MemoryKeyring()
    previous = keyring.get_keyring()
    keyring.set_keyring(backend)
    yield backend
    keyring.set_keyring(previous)


@pytest.fixture
def no_keyring():
    from keyring.backends import fail

    keyring.set_keyring(fail.Keyring())


@pytest.fixture
def data_dir(tmp_path):
    path = tmp_path / "data"
    path.mkdir()
    return path


@pytest.fixture
def vault(data_dir):
    created = vault_service.create_vault(data_dir)
    yield created.vault
    created.vault.lock()


@pytest.fixture
def cli(data_dir, capsys):
    """The command line in-process: cli(*argv, data=DIR) -> (exit code, stdout, stderr)."""
    import main

    def run(*argv, data=None):
        code = main.main(["--data-dir", str(data_dir if data is None else data), *argv])
        out, err = capsys.readouterr()
        return code, out, err
    return run


@pytest.fixture
def session(vault):
    with use_case(vault) as s:
        yield s


# --- UI: a real TaskRunner and MainWindow over the real vault --------------------------------
@pytest.fixture(scope="session")
def meaning_holder(tmp_path_factory):
    """The real meaning model, converted once per test worker (not once per data dir: the
    app converts into its data dir at first use, 46 MB each time)."""
    from services.memory.embedder import EmbedderHolder

    shared = tmp_path_factory.mktemp("meaning")

    class Shared(EmbedderHolder):
        def get(self, data_dir, **kw):
            return super().get(shared, **kw)
    holder = Shared()
    yield holder
    holder.close()


@pytest.fixture
def ctx(data_dir, vault, meaning_holder):
    runner = TaskRunner()
    context = AppContext(data_dir=data_dir, tasks=runner, vault=vault, meaning=meaning_holder)
    yield context
    runner.cancel_all()
    runner.wait()


@pytest.fixture
def sample_window(qtbot, ctx):
    """The main window over the sample journal, at 1280x800, settled; the theme put back."""
    from services.journal import demo
    from ui import theme

    with use_case(ctx.vault, write=True) as s:
        demo.load_sample(session=s)
    win = open_window(qtbot, ctx)
    win.resize(1280, 800)
    settle(qtbot, ctx)
    yield win
    win.close()
    ctx.tasks.wait()
    theme.apply("light")


@pytest.fixture
def window(qtbot, ctx):
    w = open_window(qtbot, ctx)
    yield w
    w.close()
    ctx.tasks.wait()




# --- the real bundled model, installed once per test session ------------------------------------
@pytest.fixture(scope="session")
def model_dir(tmp_path_factory):
    from services.advice import llm

    folder = tmp_path_factory.mktemp("model-data")
    llm.install_bundled_model(folder)
    return folder


@pytest.fixture(scope="session")
def local_model(model_dir):
    from services.advice import llm

    settings = llm.ModelSettings(path=llm.bundled_path(model_dir), temperature=0.0,
                                 context_length=1024, max_tokens=24)
    model = llm.LocalModel(settings, llm.inspect_model(settings.path, 1024))
    yield model
    model.close()


@pytest.fixture
def devices(tmp_path):
    """Three devices syncing through copies of one folder (tests/sync_support.py): A turned sync
    on, B and C joined; the test plays the sync tool."""
    from tests.sync_support import lock_all, three_devices

    found, cloud = three_devices(tmp_path)
    yield found, cloud
    lock_all(found)
