"""A small RESP2 client for the live tier: plain TCP or TLS, one connection, pipelining.

What goes in: an address, optional password and TLS material. What comes out: replies as
Python values (bytes, int, list, None) or a `RedisError` for `-ERR` replies. It exists so the
tier can write thousands of keys to the right shard quickly and read INFO / CLUSTER state
without spawning a redis-cli per command; everything a rendered script or probe does still
runs through the real redis-cli.
"""

from __future__ import annotations

import socket
import ssl
from dataclasses import dataclass


class RedisError(Exception):
    """An error reply (`-ERR ...`, `-MOVED ...`, `-CLUSTERDOWN ...`)."""


@dataclass(frozen=True)
class TlsFiles:
    """Client-side TLS material; `server_name` is checked against the server certificate."""

    ca: str
    cert: str | None = None
    key: str | None = None
    server_name: str | None = None


class Conn:
    def __init__(self, host: str, port: int, *, password: str | None = None,
                 tls: TlsFiles | None = None, timeout: float = 5.0):
        raw = socket.create_connection((host, port), timeout=timeout)
        if tls is not None:
            ctx = ssl.create_default_context(cafile=tls.ca)
            # A hostname-verifying client (like go-redis or redis_exporter): the server
            # certificate must carry the name we dial, which is the point of checking it.
            ctx.check_hostname = tls.server_name is not None
            if tls.cert:
                ctx.load_cert_chain(tls.cert, tls.key)
            raw = ctx.wrap_socket(raw, server_hostname=tls.server_name or host)
        self.sock = raw
        self.buf = b""
        if password:
            self.call("AUTH", password)

    def close(self) -> None:
        try:
            self.sock.close()
        except OSError:
            pass

    def __enter__(self) -> "Conn":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    @staticmethod
    def encode(*args) -> bytes:
        out = [b"*%d\r\n" % len(args)]
        for a in args:
            b = a if isinstance(a, bytes) else str(a).encode()
            out.append(b"$%d\r\n%s\r\n" % (len(b), b))
        return b"".join(out)

    def _line(self) -> bytes:
        while b"\r\n" not in self.buf:
            chunk = self.sock.recv(65536)
            if not chunk:
                raise ConnectionError("connection closed by server")
            self.buf += chunk
        line, self.buf = self.buf.split(b"\r\n", 1)
        return line

    def _exact(self, n: int) -> bytes:
        while len(self.buf) < n + 2:
            chunk = self.sock.recv(65536)
            if not chunk:
                raise ConnectionError("connection closed by server")
            self.buf += chunk
        data, self.buf = self.buf[:n], self.buf[n + 2:]
        return data

    def read(self):
        line = self._line()
        kind, rest = line[:1], line[1:]
        if kind == b"+":
            return rest
        if kind == b"-":
            return RedisError(rest.decode(errors="replace"))
        if kind == b":":
            return int(rest)
        if kind == b"$":
            n = int(rest)
            return None if n < 0 else self._exact(n)
        if kind == b"*":
            n = int(rest)
            return None if n < 0 else [self.read() for _ in range(n)]
        raise ConnectionError(f"bad RESP reply {line!r}")

    def call(self, *args):
        self.sock.sendall(self.encode(*args))
        r = self.read()
        if isinstance(r, RedisError):
            raise r
        return r

    def pipeline(self, commands: list[tuple]) -> list:
        """Send every command, then read every reply; errors come back as values."""
        self.sock.sendall(b"".join(self.encode(*c) for c in commands))
        return [self.read() for _ in commands]

    def info(self, section: str = "") -> dict[str, str]:
        text = self.call("INFO", section) if section else self.call("INFO")
        out = {}
        for line in text.decode().splitlines():
            if ":" in line and not line.startswith("#"):
                k, v = line.split(":", 1)
                out[k] = v
        return out


def _crc_table() -> list[int]:
    table = []
    for byte in range(256):
        crc = byte << 8
        for _ in range(8):
            crc = ((crc << 1) ^ 0x1021) if crc & 0x8000 else (crc << 1)
            crc &= 0xFFFF
        table.append(crc)
    return table


_CRC_TABLE = _crc_table()


def crc16(data: bytes) -> int:
    """CRC16-CCITT (XMODEM), the hash Redis Cluster maps keys to slots with."""
    crc = 0
    for byte in data:
        crc = ((crc << 8) & 0xFFFF) ^ _CRC_TABLE[((crc >> 8) ^ byte) & 0xFF]
    return crc


def key_slot(key: bytes) -> int:
    """The slot of a key, honouring `{hash tags}` as Redis does."""
    start = key.find(b"{")
    if start >= 0:
        end = key.find(b"}", start + 1)
        if end > start + 1:
            key = key[start + 1:end]
    return crc16(key) % 16384


def one_key_per_slot(prefix: str = "live") -> dict[int, bytes]:
    """A key for every one of the 16384 slots (searching names until each slot has one)."""
    keys: dict[int, bytes] = {}
    i = 0
    while len(keys) < 16384:
        k = f"{prefix}:{i}".encode()
        keys.setdefault(key_slot(k), k)
        i += 1
    return keys
