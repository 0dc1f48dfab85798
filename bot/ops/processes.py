"""Child processes and the files they share: one supervisor's tools (used by bot.ops.stack).

A child runs in a session of its own, so that it and everything it starts (Sanic's workers,
multiprocessing helpers) form one process group, which is stopped as a whole. Files under var/
hold personal data and secrets: they are made 0600, folders 0700.
"""

from __future__ import annotations

import contextlib
import logging
import os
import secrets
import signal
import stat
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path
from typing import IO

import psutil

from bot.config import PROJECT_ROOT

logger = logging.getLogger(__name__)

#: How long a child's process group gets between SIGTERM and SIGKILL.
STOP_GRACE_S = 20.0
#: Children create files 0600 and folders 0700: ledger, tracker, logs and evidence hold personal data.
CHILD_UMASK = 0o077


@dataclass
class Proc:
    """One child of the supervisor: its command, environment, health URL and log file."""

    name: str
    argv: list[str]
    health_url: str
    env: dict[str, str]
    log_path: Path
    popen: subprocess.Popen[bytes] | None = None
    _log: IO[bytes] | None = None
    #: When set, the child's pid is kept in `<pid_dir>/<name>.pid` while it runs.
    pid_dir: Path | None = None

    @property
    def pid_file(self) -> Path | None:
        return self.pid_dir / f"{self.name}.pid" if self.pid_dir is not None else None

    def start(self) -> None:
        """Starts the child in a session (and process group) of its own, with umask 077."""
        private_dir(self.log_path.parent)
        self._log = private_file(self.log_path).open("ab")
        self.popen = subprocess.Popen(
            self.argv,
            cwd=PROJECT_ROOT,
            env=self.env,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            umask=CHILD_UMASK,
        )
        if self.pid_file is not None:
            private_dir(self.pid_file.parent)
            private_file(self.pid_file).write_text(f"{self.popen.pid}\n")

    @property
    def running(self) -> bool:
        return self.popen is not None and self.popen.poll() is None

    def group(self) -> list[psutil.Process]:
        """The live processes of the child's process group: the child and whatever it started.

        The child leads a session of its own, so the group's id is its pid; Linux keeps that id
        reserved while any member lives, even after the child itself is dead and reaped.
        Zombies do not count: they hold no port and wait only for their parent to reap them.
        """
        if self.popen is None:
            return []
        if self.popen.poll() is not None and psutil.pid_exists(self.popen.pid):
            # Our child is dead and reaped, and its pid belongs to another process now. Linux
            # reuses a pid only once no group has it as id, so our group is gone: signalling
            # that id would hit a stranger's group.
            return []
        return process_group(self.popen.pid)

    def stop(self, grace: float = STOP_GRACE_S) -> None:
        """Stops the whole process group: SIGTERM, then SIGKILL after `grace` seconds.

        The group, not just the child: when rasa-sdk's main process dies, its Sanic worker lives
        on (re-parented to init) and keeps the port, so a restart would fail with "Address
        already in use" for ever. This runs whether or not the child itself is still alive.
        """
        if self.popen is not None:
            for sig, wait in ((signal.SIGTERM, grace), (signal.SIGKILL, 5.0)):
                if not self.group():
                    break
                with contextlib.suppress(ProcessLookupError, PermissionError):
                    os.killpg(self.popen.pid, sig)
                self._wait_group_gone(wait)
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.popen.wait(1.0)
            if self.group():
                logger.error("%s: processes %s survived SIGKILL", self.name, self.group())
            if self.pid_file is not None:
                with contextlib.suppress(FileNotFoundError):
                    self.pid_file.unlink()
        if self._log:
            self._log.close()
            self._log = None

    def _wait_group_gone(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.popen is not None:
                self.popen.poll()  # reap the child itself, or it stays a zombie
            if not self.group():
                return
            time.sleep(0.05)

    def tail(self, lines: int = 40) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""


def process_group(pgid: int) -> list[psutil.Process]:
    """Live (non-zombie) processes whose process group is `pgid`."""
    members = []
    for proc in psutil.process_iter():
        try:
            if os.getpgid(proc.pid) == pgid and proc.status() != psutil.STATUS_ZOMBIE:
                members.append(proc)
        except (ProcessLookupError, psutil.Error):
            continue
    return members


def private_dir(path: Path) -> Path:
    """`path` as a folder only its owner can enter (0700), created if need be."""
    path.mkdir(mode=0o700, parents=True, exist_ok=True)
    os.chmod(path, 0o700)
    return path


def private_file(path: Path) -> Path:
    """`path` as a file only its owner can read (0600), created empty if missing.

    Created with the mode at once (os.open), so that it is never readable by others, not even
    between creation and a chmod; an existing file from an older version is tightened.
    """
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    os.close(fd)
    os.chmod(path, 0o600)
    return path


def tighten(folder: Path) -> None:
    """Takes group and other permissions away from everything under `folder` (var/ written by
    an older version, when files were created 0644)."""
    for root, dirs, files in os.walk(folder):
        for name in [*dirs, *files]:
            path = Path(root) / name
            with contextlib.suppress(FileNotFoundError):
                st = path.lstat()
                if not stat.S_ISLNK(st.st_mode) and st.st_mode & 0o077:
                    os.chmod(path, stat.S_IMODE(st.st_mode) & 0o700)


def stored_token(var_dir: Path, name: str) -> str:
    """The token kept in `var_dir/name` (mode 0600), made on first use; later runs read it back,
    so CLIs and tools in another terminal find it."""
    path = var_dir / name
    if path.is_file() and (token := path.read_text().strip()):
        os.chmod(path, 0o600)
        return token
    # hex, not urlsafe: a token that starts with '-' reads as an option on a command line
    token = secrets.token_hex(32)
    private_dir(path.parent)
    private_file(path).write_text(token)
    return token
