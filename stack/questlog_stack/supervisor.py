"""Start, stop and inspect the stack's processes through pid files and probes."""

from __future__ import annotations

import contextlib
import fcntl
import os
import signal
import subprocess
import time
from dataclasses import dataclass

from questlog_stack.paths import Paths
from questlog_stack.services import Service


class StackError(RuntimeError):
    """A service failed to start or stop; the message names it and its log."""


@dataclass(frozen=True)
class State:
    """What `make status` shows for one service."""

    name: str
    pid: int | None
    port: int
    healthy: bool
    detail: str
    rss_mib: float = 0.0


def read_pid(paths: Paths, name: str) -> int | None:
    """Return the pid of a running service, or None (removing a stale pid file)."""
    pid_file = paths.pid(name)
    try:
        pid = int(pid_file.read_text().strip())
    except (OSError, ValueError):
        return None
    try:
        with open(f"/proc/{pid}/stat") as f:
            alive = f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        alive = False
    if not alive:
        pid_file.unlink(missing_ok=True)
        return None
    return pid


def _tail(paths: Paths, name: str, lines: int = 15) -> str:
    try:
        text = paths.log(name).read_text(errors="replace").splitlines()
    except OSError:
        return "(no log)"
    return "\n".join("    " + line for line in text[-lines:])


def start(paths: Paths, service: Service) -> int:
    """Start a service unless it runs; return its pid once its probe passes."""
    paths.pid(service.name).parent.mkdir(parents=True, exist_ok=True)
    # One spawn at a time per service: a watcher and a script restarting it at once must not start two.
    with open(paths.pid(service.name).with_suffix(".lock"), "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        pid = read_pid(paths, service.name) or _spawn(paths, service)
    deadline = time.monotonic() + service.start_timeout_s
    detail = ""
    while time.monotonic() < deadline:
        if read_pid(paths, service.name) is None:
            raise StackError(
                f"{service.name} exited during start-up; see {paths.log(service.name)}:\n" + _tail(paths, service.name)
            )
        healthy, detail = service.probe()
        if healthy:
            return pid
        time.sleep(1.0)
    raise StackError(
        f"{service.name} (pid {pid}) not healthy after {service.start_timeout_s:.0f}s ({detail}); "
        f"see {paths.log(service.name)}:\n" + _tail(paths, service.name)
    )


def _spawn(paths: Paths, service: Service) -> int:
    """Start a service's process in its own session; write its pid file."""
    for stale in service.clear_on_start:
        stale.unlink(missing_ok=True)
    paths.log(service.name).parent.mkdir(parents=True, exist_ok=True)
    paths.pid(service.name).parent.mkdir(parents=True, exist_ok=True)
    with open(paths.log(service.name), "ab") as log:
        log.write(f"\n=== questlog: starting {service.name} at {time.ctime()} ===\n".encode())
        log.flush()
        process = subprocess.Popen(
            service.command,
            cwd=paths.root,
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
            env={**os.environ, "QUESTLOG_VAR": str(paths.var), **service.env},
        )
    paths.pid(service.name).write_text(f"{process.pid}\n")
    return process.pid


def stop(paths: Paths, service: Service) -> bool:
    """Stop a service: SIGTERM to its main process (which stops its children in order), SIGKILL for the
    whole process group after the grace period."""
    pid = read_pid(paths, service.name)
    if pid is None:
        return False
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + service.stop_timeout_s
    while time.monotonic() < deadline and read_pid(paths, service.name) is not None:
        time.sleep(0.3)
    # Whatever is left in the group (a stuck leader, orphaned children) is killed.
    _signal_group(pid, signal.SIGKILL)
    group_deadline = time.monotonic() + 10
    while group_rss_mib(pid) > 0 and time.monotonic() < group_deadline:
        time.sleep(0.2)
    paths.pid(service.name).unlink(missing_ok=True)
    return True


def _signal_group(pid: int, sig: signal.Signals) -> None:
    try:
        os.killpg(pid, sig)
    except ProcessLookupError:
        return
    except PermissionError:
        os.kill(pid, sig)


def state(paths: Paths, service: Service) -> State:
    """Return the status line of a service."""
    pid = read_pid(paths, service.name)
    if pid is None:
        return State(service.name, None, service.port, False, "stopped")
    healthy, detail = service.probe()
    return State(service.name, pid, service.port, healthy, detail, group_rss_mib(pid))


def group_rss_mib(pgid: int) -> float:
    """Return the resident memory of every process in a service's process group, in MiB."""
    total_kib = 0
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
            if int(fields[2]) != pgid:
                continue
            with open(f"/proc/{entry}/status") as f:
                total_kib += next(int(line.split()[1]) for line in f if line.startswith("VmRSS:"))
        except (OSError, StopIteration, ValueError, IndexError):
            continue
    return total_kib / 1024
