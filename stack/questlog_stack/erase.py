"""`make erase USER=<user_id>`: request a player's erasure from the local API and wait until it is done."""

from __future__ import annotations

import argparse
import os
import sys
import time

import requests

from questlog_stack.paths import Paths


def main(argv: list[str] | None = None) -> int:
    """Request the erasure, then poll its status until done or failed (or the timeout)."""
    parser = argparse.ArgumentParser(prog="make erase", description=__doc__)
    parser.add_argument("user_id")
    parser.add_argument("--api", default=os.environ.get("QUESTLOG_API_URL", "http://127.0.0.1:5000"))
    parser.add_argument("--timeout", type=float, default=900.0, help="seconds to wait for done (default 900)")
    args = parser.parse_args(argv)
    key_file = Paths.from_env().var / "secrets" / "admin-key"
    key = os.environ.get("QUESTLOG_ADMIN_KEY") or (key_file.read_text().strip() if key_file.exists() else "")
    if not key:
        print(
            f"questlog: no admin key: set QUESTLOG_ADMIN_KEY or run `make up` (it writes {key_file})", file=sys.stderr
        )
        return 2
    headers = {"X-Admin-Key": key}
    answer = requests.post(f"{args.api}/v1/admin/erasures", json={"user_id": args.user_id}, headers=headers, timeout=30)
    if answer.status_code != 202:
        print(f"questlog: the API answered {answer.status_code}: {answer.text}", file=sys.stderr)
        return 1
    erasure = answer.json()["erasure_id"]
    print(f"erasure {erasure} {answer.json()['status']}; waiting for done (at most {args.timeout:.0f} s)")
    started, last, failed = time.monotonic(), "", None
    while time.monotonic() - started < args.timeout:
        status = requests.get(f"{args.api}/v1/admin/erasures/{erasure}", headers=headers, timeout=30).json()
        if status["status"] != last:
            last = status["status"]
            print(f"  {time.monotonic() - started:6.1f} s  {last}")
        if last == "done":
            total = sum(status["rows_deleted"].values())
            print(f"done: {total} row(s) deleted")
            for table, n in status["rows_deleted"].items():
                print(f"  {table:<32} {n}")
            return 0
        if last == "failed" and status.get("error") != failed:
            failed = status.get("error")
            print(f"  the erasure failed (the processor retries it): {failed}", file=sys.stderr)
        time.sleep(2)
    print(f"questlog: erasure {erasure} not done after {args.timeout:.0f} s (status {last})", file=sys.stderr)
    return 1


if __name__ == "__main__":
    sys.exit(main())
