#!/usr/bin/env python3
"""Health check of the Hive metastore: one real thrift call, get_all_databases(), with no dependencies.

Usage: metastore-ping [HOST [PORT]]   (default 127.0.0.1 9083). Prints the database names and exits 0,
or prints the error and exits 1. Speaks the binary, unframed thrift protocol (NOSASL, as configured).
"""

import socket
import struct
import sys


def get_all_databases(host: str = "127.0.0.1", port: int = 9083, timeout: float = 5.0) -> list[str]:
    name = b"get_all_databases"
    # strict binary header: version 1 | CALL, method name, seqid 1; empty args struct (STOP)
    request = struct.pack(">iI", -2147418111, len(name)) + name + struct.pack(">i", 1) + b"\x00"
    with socket.create_connection((host, port), timeout) as sock:
        sock.sendall(request)
        reader = sock.makefile("rb")

        def read(n: int) -> bytes:
            data = reader.read(n)
            if len(data) != n:
                raise EOFError("metastore closed the connection")
            return data

        version, name_len = struct.unpack(">iI", read(8))
        read(name_len + 4)  # method name, seqid
        if version & 0xFF != 2:  # 2 = REPLY, 3 = EXCEPTION
            raise RuntimeError(f"thrift message type {version & 0xFF} instead of a reply")
        field_type, field_id = struct.unpack(">bh", read(3))
        if (field_type, field_id) != (15, 0):  # success field 0: list<string>
            raise RuntimeError(f"metastore error (field {field_id}, type {field_type})")
        _, size = struct.unpack(">bi", read(5))
        return [read(struct.unpack(">i", read(4))[0]).decode() for _ in range(size)]


if __name__ == "__main__":
    host = sys.argv[1] if len(sys.argv) > 1 else "127.0.0.1"
    port = int(sys.argv[2]) if len(sys.argv) > 2 else 9083
    try:
        print(" ".join(get_all_databases(host, port)))
    except Exception as exc:  # noqa: BLE001 - any failure means unhealthy
        print(f"metastore {host}:{port} unhealthy: {exc}", file=sys.stderr)
        sys.exit(1)
