"""TLS material for the live tier, made with the openssl CLI.

What goes in: the DNS names a server certificate must carry (read from `rkv explain`, the
list rkv documents as required). What comes out: Secret data (`ca.crt`, `tls.crt`,
`tls.key`) in the layout cert-manager and `kubectl create secret tls` produce. The server
certificate carries exactly those names and nothing else (no `localhost`, no IP), so a
client that only works with an undocumented name fails here as it would for a user.
"""

from __future__ import annotations

import subprocess
from pathlib import Path


def _run(*args: str) -> None:
    subprocess.run(list(args), check=True, capture_output=True)


class Authority:
    def __init__(self, d: Path):
        self.dir = d
        d.mkdir(parents=True, exist_ok=True)
        self.key = d / "ca.key"
        self.crt = d / "ca.crt"
        _run("openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
             "-nodes", "-keyout", str(self.key), "-out", str(self.crt), "-days", "2",
             "-subj", "/CN=rkv live tier CA")

    def issue(self, name: str, *, dns: list[str], usages: str) -> dict[str, bytes]:
        key = self.dir / f"{name}.key"
        csr = self.dir / f"{name}.csr"
        crt = self.dir / f"{name}.crt"
        ext = self.dir / f"{name}.ext"
        lines = ["basicConstraints=CA:FALSE", "keyUsage=digitalSignature,keyEncipherment",
                 f"extendedKeyUsage={usages}"]
        if dns:
            lines.append("subjectAltName=" + ",".join(f"DNS:{n}" for n in dns))
        ext.write_text("\n".join(lines) + "\n")
        _run("openssl", "req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
             "-keyout", str(key), "-out", str(csr), "-subj", f"/CN={dns[0] if dns else name}")
        _run("openssl", "x509", "-req", "-in", str(csr), "-CA", str(self.crt), "-CAkey", str(self.key),
             "-CAcreateserial", "-out", str(crt), "-days", "2", "-extfile", str(ext))
        return {"ca.crt": self.crt.read_bytes(), "tls.crt": crt.read_bytes(), "tls.key": key.read_bytes()}

    def server(self, dns: list[str]) -> dict[str, bytes]:
        # Redis presents the server certificate on outgoing links too when no client
        # certificate is configured, so it is usable for both (as rkv's cert-manager
        # Certificate asks: usages server auth + client auth).
        return self.issue("server", dns=dns, usages="serverAuth,clientAuth")

    def client(self) -> dict[str, bytes]:
        return self.issue("client", dns=[], usages="clientAuth")

    def files(self, name: str) -> tuple[str, str, str]:
        return str(self.crt), str(self.dir / f"{name}.crt"), str(self.dir / f"{name}.key")
