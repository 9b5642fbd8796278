"""Private servers the integration tests start beside the stack: free loopback ports, orderly stop."""

from __future__ import annotations

import socket
import subprocess


def free_port() -> int:
    """A loopback port nothing listens on right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def stop(*procs: subprocess.Popen, timeout_s: float = 60) -> None:
    """SIGTERM every process, wait for each; SIGKILL one that outlives the timeout."""
    for proc in procs:
        proc.terminate()
    for proc in procs:
        try:
            proc.wait(timeout=timeout_s)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=30)
