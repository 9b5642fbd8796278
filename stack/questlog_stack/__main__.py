"""Command line of the local stack: up, down, status, restart, watch."""

from __future__ import annotations

import argparse
import logging
import sys

from questlog_stack import bootstrap, supervisor, watch
from questlog_stack.paths import Paths
from questlog_stack.services import Service, services

AFTER_START = {
    "kafka": bootstrap.create_topics,
    "trino": bootstrap.create_schema,
    "stream": bootstrap.create_views,
}


def _select(paths: Paths, names: list[str]) -> list[Service]:
    known = services(paths)
    unknown = set(names) - {s.name for s in known}
    if unknown:
        raise SystemExit(f"unknown service(s): {', '.join(sorted(unknown))}; known: {', '.join(s.name for s in known)}")
    return [s for s in known if not names or s.name in names]


def up(paths: Paths, names: list[str]) -> int:
    """Start what is not running, in order, waiting for each to be healthy."""
    bootstrap.create_secrets(paths.var)
    for service in _select(paths, names):
        was = supervisor.read_pid(paths, service.name)
        print(f"{service.name:<19} {'running' if was else 'starting'}...", end=" ", flush=True)
        try:
            pid = supervisor.start(paths, service)
            if service.name in AFTER_START:
                AFTER_START[service.name]()
        except supervisor.StackError as exc:
            print("FAILED")
            print(f"questlog: {exc}", file=sys.stderr)
            return 1
        print(f"healthy (pid {pid}, log {paths.log(service.name)})")
    return 0


def down(paths: Paths, names: list[str]) -> int:
    """Stop services in reverse order (and first the watcher, which would start them again)."""
    if watch.stop_watcher(paths):
        print(f"{watch.WATCHER:<19} stopped")
    _stop(paths, names)
    return 0


def _stop(paths: Paths, names: list[str]) -> None:
    for service in reversed(_select(paths, names)):
        if supervisor.stop(paths, service):
            print(f"{service.name:<19} stopped")


def status(paths: Paths, names: list[str]) -> int:
    """Print one line per service; exit 1 if any is not healthy."""
    print(f"{'SERVICE':<19} {'PID':>8} {'PORT':>6}  {'STATE':<9} {'RSS':>9}  DETAIL")
    all_ok, total = True, 0.0
    for service in _select(paths, names):
        st = supervisor.state(paths, service)
        word = "healthy" if st.healthy else ("stopped" if st.pid is None else "UNHEALTHY")
        all_ok &= st.healthy
        port = str(st.port) if st.port else "-"
        rss = f"{st.rss_mib:.0f} MiB" if st.pid else "-"
        total += st.rss_mib
        print(f"{st.name:<19} {st.pid or '-':>8} {port:>6}  {word:<9} {rss:>9}  {st.detail}")
    print(f"{'total':<19} {'':>8} {'':>6}  {'':<9} {total:>5.0f} MiB")
    if not names and (watcher := supervisor.read_pid(paths, watch.WATCHER)) is not None:
        print(f"restart-on-exit watcher running (pid {watcher}); `make down` stops it")
    return 0 if all_ok else 1


def main(argv: list[str] | None = None) -> int:
    """Run one stack command."""
    parser = argparse.ArgumentParser(prog="questlog-stack", description=__doc__)
    parser.add_argument("command", choices=["up", "down", "status", "restart", "watch"])
    parser.add_argument(
        "services",
        nargs="*",
        help=f"limit to these services (default: all; for watch: {' '.join(watch.DEFAULT_SERVICES)})",
    )
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    paths = Paths.from_env()
    if args.command == "watch":
        return watch.serve(paths, _select(paths, args.services or list(watch.DEFAULT_SERVICES)))
    if args.command == "restart":
        # A running watcher stays: the spawn lock keeps it and the restart from starting a service twice.
        _stop(paths, args.services)
        return up(paths, args.services)
    return {"up": up, "down": down, "status": status}[args.command](paths, args.services)


if __name__ == "__main__":
    sys.exit(main())
