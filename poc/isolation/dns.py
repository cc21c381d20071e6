"""A minimal DNS message reader and writer for the namespace's answerer (RFC 1035, section 4).

Only what the answerer needs: the question of a query, and an answer that is NXDOMAIN, empty
(NOERROR without records) or one A record. No compression is read in questions (queries carry
none); answers point at the question's name (offset 12)."""

from __future__ import annotations

import ipaddress
import struct
from dataclasses import dataclass

TYPES = {1: "A", 2: "NS", 5: "CNAME", 6: "SOA", 12: "PTR", 15: "MX", 16: "TXT", 28: "AAAA", 33: "SRV",
         64: "SVCB", 65: "HTTPS", 255: "ANY"}
NOERROR, NXDOMAIN, FORMERR = 0, 3, 1


@dataclass
class Question:
    id: int
    flags: int
    name: str
    qtype: int
    qclass: int
    raw_question: bytes  # the question section as sent, echoed in the answer

    @property
    def type_name(self) -> str:
        return TYPES.get(self.qtype, str(self.qtype))


class BadMessage(ValueError):
    pass


def parse_query(data: bytes) -> Question:
    if len(data) < 12:
        raise BadMessage("shorter than a DNS header")
    qid, flags, qdcount = struct.unpack("!HHH", data[:6])
    if flags & 0x8000:
        raise BadMessage("a response, not a query")
    if qdcount < 1:
        raise BadMessage("no question")
    labels, i = [], 12
    while True:
        if i >= len(data):
            raise BadMessage("name runs past the message")
        n = data[i]
        if n == 0:
            i += 1
            break
        if n & 0xC0:
            raise BadMessage("compressed name in a question")
        labels.append(data[i + 1:i + 1 + n].decode("ascii", "replace"))
        i += 1 + n
    if i + 4 > len(data):
        raise BadMessage("question without type and class")
    qtype, qclass = struct.unpack("!HH", data[i:i + 4])
    return Question(qid, flags, ".".join(labels).lower(), qtype, qclass, data[12:i + 4])


def answer(q: Question, rcode: int = NOERROR, a: str | None = None, ttl: int = 5) -> bytes:
    """The response to `q`: rcode, and one A record for `a` when given."""
    flags = 0x8000 | (q.flags & 0x7900) | 0x0080 | rcode  # QR, opcode and RD echoed, RA, rcode
    records = b""
    if a is not None:
        records = struct.pack("!HHHIH", 0xC00C, 1, 1, ttl, 4) + ipaddress.IPv4Address(a).packed
    return struct.pack("!HHHHHH", q.id, flags, 1, 1 if a else 0, 0, 0) + q.raw_question + records


def query(name: str, qtype: int = 1, qid: int = 0x1234) -> bytes:
    """A query message (for the tests and the end-of-run mark)."""
    body = b"".join(bytes([len(p)]) + p.encode("ascii") for p in name.strip(".").split(".")) + b"\0"
    return struct.pack("!HHHHHH", qid, 0x0100, 1, 0, 0, 0) + body + struct.pack("!HH", qtype, 1)


def parse_answer(data: bytes) -> tuple[int, list[str]]:
    """(rcode, the A addresses) of a response to a query of ours."""
    rcode = struct.unpack("!H", data[2:4])[0] & 0xF
    ancount = struct.unpack("!H", data[6:8])[0]
    i = 12
    while data[i] != 0:
        i += 1 + data[i]
    i += 5
    out = []
    for _ in range(ancount):
        i += 2 if data[i] & 0xC0 else 0
        rtype, _cls, _ttl, rdlen = struct.unpack("!HHIH", data[i:i + 10])
        i += 10
        if rtype == 1 and rdlen == 4:
            out.append(str(ipaddress.IPv4Address(data[i:i + 4])))
        i += rdlen
    return rcode, out
