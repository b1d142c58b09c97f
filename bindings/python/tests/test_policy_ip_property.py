"""The policy's IP allowlist against Python's ``ipaddress`` on generated cases
(a fixed seed): IPv4 and IPv6 networks written with and without host bits or
as single addresses, probes inside, at the edges, just outside and anywhere,
and IPv4 probes written as IPv4-mapped IPv6.

The rule is docs/policy.md's: a network's host bits are dropped (as
``ip_network(text, strict=False)`` reads it), a single address is a /32 or
/128 network, an empty list allows every address, and an IPv4 address written
as IPv6 (``::ffff:a.b.c.d``) is matched as IPv4 (the probe's
``ipv4_mapped``), so a network inside ``::ffff:0:0/96`` is stored as the IPv4
network it names (``::ffff:192.0.2.0/120`` is ``192.0.2.0/24``)."""

from __future__ import annotations

import ipaddress
import random
from ipaddress import IPv4Address, IPv6Address

from dezky.policy import SecurityPolicy

SEED = 20261203
ALLOWLISTS = 600
PROBES = 10

IpAddress = IPv4Address | IPv6Address


def stored(text: str) -> ipaddress.IPv4Network | ipaddress.IPv6Network:
    """The network docs/policy.md stores for an allowlist entry."""
    net = ipaddress.ip_network(text.strip(), strict=False)
    if isinstance(net, ipaddress.IPv6Network) and net.prefixlen >= 96:
        mapped = net.network_address.ipv4_mapped
        if mapped is not None:
            return ipaddress.IPv4Network(f"{mapped}/{net.prefixlen - 96}")
    return net


def reference(allowlist: list[str], probe: str) -> bool:
    """docs/policy.md's rule, in the standard library's terms."""
    if not allowlist:
        return True
    address = ipaddress.ip_address(probe.strip())
    if isinstance(address, IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    return any(address in stored(n) for n in allowlist)


def random_address(rng: random.Random, version: int) -> IpAddress:
    if version == 4:
        return IPv4Address(rng.getrandbits(32))
    # Now and then an address in a small, crowded space (documentation, loopback, mapped).
    roll = rng.random()
    if roll < 0.1:
        return IPv6Address(rng.getrandbits(16))
    if roll < 0.2:
        return IPv6Address((0xFFFF << 32) | rng.getrandbits(32))
    return IPv6Address(rng.getrandbits(128))


def prefix(rng: random.Random, version: int) -> int:
    bits = 32 if version == 4 else 128
    roll = rng.random()
    if roll < 0.05:
        return 0
    if roll < 0.15:
        return bits
    if roll < 0.2:
        return bits - 1
    return rng.randint(1, bits)


def network_text(rng: random.Random, version: int) -> str:
    address = random_address(rng, version)
    length = prefix(rng, version)
    style = rng.random()
    if style < 0.15:
        return str(address)  # a single address
    if style < 0.55:
        return f"{address}/{length}"  # host bits left in
    net = ipaddress.ip_network(f"{address}/{length}", strict=False)
    return f" {net} " if style < 0.6 else str(net)


def probes(rng: random.Random, allowlist: list[str], version: int) -> list[str]:
    out: list[str] = []
    nets = [ipaddress.ip_network(n.strip(), strict=False) for n in allowlist]
    for _ in range(PROBES):
        roll = rng.random()
        if nets and roll < 0.45:
            net = rng.choice(nets)
            host_bits = net.max_prefixlen - net.prefixlen
            candidate: IpAddress = net.network_address + rng.getrandbits(host_bits) if host_bits else net.network_address
        elif nets and roll < 0.75:
            net = rng.choice(nets)
            edges = [int(net.network_address), int(net.broadcast_address),
                     int(net.network_address) - 1, int(net.broadcast_address) + 1]
            value = rng.choice(edges) % (2**net.max_prefixlen)
            candidate = ipaddress.ip_address(value) if net.version == 4 else IPv6Address(value)
        else:
            candidate = random_address(rng, version if rng.random() < 0.8 else 10 - version)
        text = str(candidate)
        if isinstance(candidate, IPv4Address) and rng.random() < 0.25:
            text = f"::ffff:{candidate}"  # as a dual-stack proxy reports it
        out.append(text)
    return out


def test_allowlist_matches_ipaddress_on_generated_cases() -> None:
    rng = random.Random(SEED)
    checked = allowed = 0
    seen_mapped = seen_v6 = seen_v4 = 0
    for _ in range(ALLOWLISTS):
        version = rng.choice((4, 6))
        count = rng.choice((0, 1, 1, 2, 3, 5))
        allowlist = [network_text(rng, version if rng.random() < 0.85 else 10 - version) for _ in range(count)]
        policy = SecurityPolicy({"ipAllowlist": allowlist})
        # The stored networks are the ones ipaddress reads (host bits dropped, IPv4-mapped
        # networks as IPv4), each once, in order.
        expected_nets: list[ipaddress.IPv4Network | ipaddress.IPv6Network] = []
        for n in allowlist:
            net = stored(n)
            if net not in expected_nets:
                expected_nets.append(net)
        assert [ipaddress.ip_network(n) for n in policy.ip_allowlist] == expected_nets, allowlist
        for probe in probes(rng, allowlist, version):
            want = reference(allowlist, probe)
            got = policy.ip_allowed(probe)
            assert got is want, f"ip_allowed({probe!r}) over {allowlist!r}: {got}, ipaddress says {want}"
            checked += 1
            allowed += want
            seen_mapped += probe.startswith("::ffff:")
            seen_v6 += ":" in probe
            seen_v4 += ":" not in probe
    # The generator reached every kind of case, both answers often.
    assert checked == ALLOWLISTS * PROBES
    assert checked * 0.25 < allowed < checked * 0.85, allowed
    assert min(seen_mapped, seen_v6, seen_v4) > 200, (seen_mapped, seen_v6, seen_v4)


def test_the_reference_reads_the_documented_examples() -> None:
    # docs/policy.md's examples, so the reference above is the documented rule.
    assert [str(ipaddress.ip_network("192.0.2.77/24", strict=False))] == SecurityPolicy(
        {"ipAllowlist": ["192.0.2.77/24"]}
    ).ip_allowlist
    assert reference(["192.0.2.0/24"], "::ffff:192.0.2.1") is True
    assert reference([], "2001:db8::1") is True
    assert reference(["2001:db8::1"], "2001:db8::2") is False
