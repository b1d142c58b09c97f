"""Mail-domain DNS verification: parsing, expected records, and verification
against a private NSD (Debian ``nsd``) on 127.0.0.1 at a free high port. NSD
comes from scripts/install-test-deps.sh; without it these tests fail."""

from __future__ import annotations

import asyncio
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

import dezky
from dezky import dns

ROOT = Path(__file__).resolve().parents[3]
STALWART = (ROOT / "tests/fixtures/dns/stalwart-acme.zone").read_text()
TOKEN = "k3J9xQ2mP7vR4tW8yZ1aB5cD"


def zone_for(domain: str) -> str:
    return STALWART.replace("acme.test", domain)


def ownership(domain: str) -> str:
    return f'_dezky-challenge.{domain}. IN TXT "dezky-domain-verification={TOKEN}"\n'


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@pytest.fixture(scope="module")
def nsd_port() -> Iterator[int]:
    binary = next((p for p in ("/usr/sbin/nsd", "/usr/bin/nsd", "/usr/local/sbin/nsd") if Path(p).exists()), None)
    assert binary, "NSD is not installed: run `bash scripts/install-test-deps.sh` (as root)"
    work = Path(tempfile.mkdtemp(prefix="dezky-nsd-"))
    zones = {
        "example.net": "mail IN A 192.0.2.10\n",
        "correct.test": zone_for("correct.test") + ownership("correct.test"),
        "mismatch.test": (zone_for("mismatch.test") + ownership("mismatch.test")).replace(
            "p=reject;", "p=none;"
        ),
    }
    conf = (
        "server:\n  ip-address: 127.0.0.1@{port}\n  port: {port}\n  username: \"\"\n  chroot: \"\"\n"
        f"  zonesdir: \"{work}\"\n  database: \"\"\n  pidfile: \"{work}/nsd.pid\"\n"
        f"  xfrdfile: \"{work}/xfrd.state\"\n  zonelistfile: \"{work}/zone.list\"\n"
        f"  logfile: \"{work}/nsd.log\"\n  server-count: 1\nremote-control:\n  control-enable: no\n"
    )
    for name, body in zones.items():
        (work / f"{name}.zone").write_text(
            f"$ORIGIN {name}.\n$TTL 300\n@ IN SOA ns1.{name}. hostmaster.{name}. 1 3600 600 86400 300\n"
            f"@ IN NS ns1.{name}.\nns1 IN A 127.0.0.1\n{body}\n"
        )
        conf += f'zone:\n  name: "{name}"\n  zonefile: "{name}.zone"\n'
    # A free port can be taken between choosing and binding it: try another one.
    for _ in range(5):
        port = free_port()
        log = work / "nsd.log"
        log.unlink(missing_ok=True)
        (work / "nsd.conf").write_text(conf.replace("{port}", str(port)))
        proc = subprocess.Popen([binary, "-d", "-c", str(work / "nsd.conf")], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(0.2)
        if proc.poll() is None or not log.exists() or "Address already in use" not in log.read_text():
            break
    try:
        deadline = time.monotonic() + 10
        while True:
            report = dns.verify_domain_sync("correct.test", zone_for("correct.test"), TOKEN, nameservers=["127.0.0.1"], port=port, timeout=0.2, attempts=1)
            if report["complete"]:
                break
            assert proc.poll() is None, f"nsd exited: {(work / 'nsd.log').read_text()}"
            assert time.monotonic() < deadline, "nsd did not answer within 10 s"
            time.sleep(0.05)
        yield port
    finally:
        proc.terminate()
        proc.wait(timeout=10)
        shutil.rmtree(work, ignore_errors=True)


def test_parse_zone_file_joins_multi_string_txt() -> None:
    records = dns.parse_zone_file(STALWART)
    assert len(records) == 12
    rsa = next(r for r in records if r["name"] == "v1-rsa-20260822._domainkey.acme.test.")
    assert rsa["type"] == "TXT"
    assert len(rsa["value"]) == 420
    assert rsa["rdata"].count('" "') == 1


def test_zone_parse_error_has_code_and_line() -> None:
    with pytest.raises(dezky.ZoneParseError) as caught:
        dns.parse_zone_file('a.test. IN TXT "ok"\na.test. IN MX ten b.test.\n')
    assert caught.value.code == "DEZKY_ZONE_PARSE"
    assert caught.value.line == 2
    assert isinstance(caught.value, ValueError)
    with pytest.raises(dezky.ArgumentTypeError):
        dns.parse_zone_file(42)  # type: ignore[arg-type]


def test_expected_records_snippet_and_table() -> None:
    expected = dns.expected_records("Acme.Test", STALWART, TOKEN)
    assert expected["domain"] == "acme.test."
    assert len(expected["checks"]) == 13
    assert expected["checks"][-1] == {
        "name": "_dezky-challenge.acme.test.",
        "type": "TXT",
        "kind": "ownership",
        "selector": None,
        "values": [f"dezky-domain-verification={TOKEN}"],
    }
    assert expected["checks"][1]["selector"] == "v1-rsa-20260822"
    assert 'acme.test. IN TXT "v=spf1 mx -all"\n' in expected["zone_snippet"]
    dmarc = next(r for r in expected["table"] if r["purpose"] == "DMARC")
    assert (dmarc["host"], dmarc["value"]) == ("_dmarc", "v=DMARC1; p=reject; rua=mailto:postmaster@acme.test")
    assert len(dns.parse_zone_file(expected["zone_snippet"])) == 13
    with pytest.raises(dezky.InvalidArgumentError):
        dns.expected_records("acme.test", STALWART, "short")


def test_verify_sync_correct_and_mismatched_domains(nsd_port: int) -> None:
    local = {"nameservers": ["127.0.0.1"], "port": nsd_port}
    report = dns.verify_domain_sync("correct.test", zone_for("correct.test"), TOKEN, **local)  # type: ignore[arg-type]
    assert [c["status"] for c in report["checks"]] == ["ok"] * 13, report["actions"]
    assert report["needs_attention"] is False and report["complete"] is True

    reports = dns.verify_domains_sync(
        [("mismatch.test", zone_for("mismatch.test"), TOKEN), ("correct.test", zone_for("correct.test"), None)],
        nameservers=["127.0.0.1"],
        port=nsd_port,
        concurrency=2,
    )
    assert [(r["domain"], r["needs_attention"]) for r in reports] == [("mismatch.test.", True), ("correct.test.", False)]
    dmarc = next(c for c in reports[0]["checks"] if c["kind"] == "dmarc")
    assert dmarc["status"] == "mismatch"
    assert {"field": "p", "expected": "reject", "found": "none"} in dmarc["diff"]
    assert any("p=none" in w for w in dmarc["warnings"])

    auth = dns.verify_domain_sync("correct.test", zone_for("correct.test"), TOKEN, authoritative=True, **local)  # type: ignore[arg-type]
    assert auth["complete"] and not auth["needs_attention"]


def test_dead_server_is_unknown_never_missing() -> None:
    report = dns.verify_domain_sync(
        "correct.test", zone_for("correct.test"), TOKEN, nameservers=["127.0.0.1"], port=free_port(), timeout=0.2, attempts=1
    )
    assert {c["status"] for c in report["checks"]} == {"unknown"}
    assert report["needs_attention"] is False
    assert report["complete"] is False


def test_bad_resolver_options() -> None:
    with pytest.raises(dezky.InvalidArgumentError):
        dns.verify_domain_sync("acme.test", STALWART, nameservers=["not-an-ip"])
    with pytest.raises(dezky.ConfigError):
        dns.verify_domain_sync("acme.test", STALWART, nameservers=[])
    with pytest.raises(dezky.ZoneParseError):
        dns.verify_domain_sync("acme.test", 'acme.test. IN TXT ("x"', nameservers=["127.0.0.1"])
    with pytest.raises(dezky.ArgumentTypeError):
        dns.verify_domain_sync("acme.test", 42)  # type: ignore[arg-type]


async def test_verify_awaitable_matches_sync(nsd_port: int) -> None:
    local = {"nameservers": ["127.0.0.1"], "port": nsd_port}
    pending = dns.verify_domain("correct.test", zone_for("correct.test"), TOKEN, **local)  # type: ignore[arg-type]
    assert asyncio.iscoroutine(pending)
    report = await pending
    assert report == dns.verify_domain_sync("correct.test", zone_for("correct.test"), TOKEN, **local)  # type: ignore[arg-type]
    assert report["complete"] and not report["needs_attention"]

    batch = [("mismatch.test", zone_for("mismatch.test"), TOKEN), ("correct.test", zone_for("correct.test"), TOKEN)]
    reports = await dns.verify_domains(batch, concurrency=2, **local)  # type: ignore[arg-type]
    assert reports == dns.verify_domains_sync(batch, concurrency=2, **local)  # type: ignore[arg-type]
    assert [(r["domain"], r["needs_attention"]) for r in reports] == [("mismatch.test.", True), ("correct.test.", False)]

    # Concurrent awaits on the module's runtime, the event loop stays free.
    many = await asyncio.gather(
        *(dns.verify_domain(d, zone_for(d), TOKEN, **local) for d in ["correct.test", "mismatch.test"] * 5)  # type: ignore[arg-type]
    )
    assert [r["needs_attention"] for r in many] == [False, True] * 5


async def test_verify_awaitable_authoritative(nsd_port: int) -> None:
    local = {"nameservers": ["127.0.0.1"], "port": nsd_port}
    auth = await dns.verify_domain("correct.test", zone_for("correct.test"), TOKEN, authoritative=True, **local)  # type: ignore[arg-type]
    assert auth["complete"] and not auth["needs_attention"]
    # One domain: no nameservers found for its zone is an error.
    with pytest.raises(dezky.DnsResolverError) as caught:
        await dns.verify_domain("nowhere.test", zone_for("nowhere.test"), TOKEN, authoritative=True, timeout=0.5, **local)  # type: ignore[arg-type]
    assert caught.value.code == "DEZKY_DNS_RESOLVER"
    # A batch: each domain at its own zone's nameservers; the one without gets
    # unknown checks and the others are still verified.
    batch = [(d, zone_for(d), TOKEN) for d in ("correct.test", "nowhere.test", "mismatch.test")]
    for reports in (
        await dns.verify_domains(batch, authoritative=True, timeout=0.5, **local),  # type: ignore[arg-type]
        dns.verify_domains_sync(batch, authoritative=True, timeout=0.5, **local),  # type: ignore[arg-type]
    ):
        assert [r["domain"] for r in reports] == ["correct.test.", "nowhere.test.", "mismatch.test."]
        assert reports[0]["complete"] and not reports[0]["needs_attention"]
        assert reports[2]["complete"] and reports[2]["needs_attention"]
        lost = reports[1]
        assert {c["status"] for c in lost["checks"]} == {"unknown"}
        assert not lost["needs_attention"] and not lost["complete"]
        assert all("nowhere.test" in (c["message"] or "") for c in lost["checks"])


async def test_verify_awaitable_errors() -> None:
    with pytest.raises(dezky.InvalidArgumentError):
        await dns.verify_domain("acme.test", STALWART, nameservers=["not-an-ip"])
    with pytest.raises(dezky.ConfigError):
        await dns.verify_domains([("acme.test", STALWART, None)], nameservers=[])
    with pytest.raises(dezky.ZoneParseError):
        await dns.verify_domain("acme.test", 'acme.test. IN TXT ("x"', nameservers=["127.0.0.1"])
    with pytest.raises(dezky.ArgumentTypeError):
        await dns.verify_domains([("acme.test", 42, None)])  # type: ignore[list-item]
    report = await dns.verify_domain(
        "correct.test", zone_for("correct.test"), TOKEN, nameservers=["127.0.0.1"], port=free_port(), timeout=0.2, attempts=1
    )
    assert {c["status"] for c in report["checks"]} == {"unknown"}


def test_awaitable_runs_under_asyncio_run(nsd_port: int) -> None:
    report = asyncio.run(
        dns.verify_domain("correct.test", zone_for("correct.test"), TOKEN, nameservers=["127.0.0.1"], port=nsd_port)
    )
    assert report["complete"]
