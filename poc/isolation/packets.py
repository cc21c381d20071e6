"""Reading the frames a namespace sends out of its interfaces (AF_PACKET, Linux cooked by us):
Ethernet II with IPv4 or IPv6, and in them TCP, UDP or ICMP. What is an *attempt* to reach a
host is decided here: a TCP SYN (without ACK), any UDP datagram, an ICMP echo request. The
kernel's own link chatter (ARP, IPv6 neighbour and router discovery, MLD, IGMP) is not."""

from __future__ import annotations

import ipaddress
import struct
from dataclasses import dataclass

ETH_P_IP, ETH_P_IPV6, ETH_P_ARP = 0x0800, 0x86DD, 0x0806
PACKET_OUTGOING = 4


@dataclass
class Attempt:
    proto: str        # tcp | udp | icmp | icmp6 | ip
    src: str
    dst: str
    sport: int | None
    dport: int | None

    @property
    def key(self) -> tuple:
        return (self.proto, self.src, self.sport, self.dst, self.dport)


def parse(frame: bytes) -> Attempt | None:
    """The attempt carried by an Ethernet frame, or None for what is not one."""
    if len(frame) < 14:
        return None
    ethertype = struct.unpack("!H", frame[12:14])[0]
    payload = frame[14:]
    if ethertype == 0x8100 and len(frame) >= 18:  # a VLAN tag (not expected on a veth)
        ethertype, payload = struct.unpack("!H", frame[16:18])[0], frame[18:]
    if ethertype == ETH_P_IP:
        return _ipv4(payload)
    if ethertype == ETH_P_IPV6:
        return _ipv6(payload)
    return None


def _ipv4(p: bytes) -> Attempt | None:
    if len(p) < 20 or p[0] >> 4 != 4:
        return None
    ihl = (p[0] & 0xF) * 4
    proto = p[9]
    src, dst = str(ipaddress.IPv4Address(p[12:16])), str(ipaddress.IPv4Address(p[16:20]))
    frag = struct.unpack("!H", p[6:8])[0] & 0x1FFF
    if frag:  # a later fragment carries no ports
        return None
    return _transport(proto, p[ihl:], src, dst, icmp=1, icmp_echo=8, icmp_name="icmp")


def _ipv6(p: bytes) -> Attempt | None:
    if len(p) < 40 or p[0] >> 4 != 6:
        return None
    nxt = p[6]
    src, dst = str(ipaddress.IPv6Address(p[8:24])), str(ipaddress.IPv6Address(p[24:40]))
    rest = p[40:]
    for _ in range(8):  # hop-by-hop, routing, destination options: skip to the transport header
        if nxt in (0, 43, 60) and len(rest) >= 8:
            nxt, rest = rest[0], rest[(rest[1] + 1) * 8:]
        else:
            break
    return _transport(nxt, rest, src, dst, icmp=58, icmp_echo=128, icmp_name="icmp6")


def _transport(proto: int, t: bytes, src: str, dst: str, *, icmp: int, icmp_echo: int,
               icmp_name: str) -> Attempt | None:
    if proto == 6 and len(t) >= 14:
        sport, dport = struct.unpack("!HH", t[:4])
        flags = t[13]
        if flags & 0x02 and not flags & 0x10:  # SYN without ACK: a connection attempt
            return Attempt("tcp", src, dst, sport, dport)
        return None
    if proto == 17 and len(t) >= 8:
        sport, dport = struct.unpack("!HH", t[:4])
        return Attempt("udp", src, dst, sport, dport)
    if proto == icmp and t:
        return Attempt(icmp_name, src, dst, None, None) if t[0] == icmp_echo else None
    if proto in (2, 6, 17, icmp):  # IGMP, or a truncated header
        return None
    return Attempt("ip", src, dst, None, proto)


def scope(address: str) -> str:
    """`outside` for an address on the internet, `local` for one that is not (a private, link-local,
    multicast, loopback or reserved address: the school's own network at most)."""
    ip = ipaddress.ip_address(address)
    return "outside" if ip.is_global and not ip.is_multicast else "local"
