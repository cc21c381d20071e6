"""A tiny HTTP/1.1 keep-alive server that answers like a WebDAV/CalDAV suite (PROPFIND and REPORT 207,
GET 200, PUT/MKCOL/MKCALENDAR 201), counting the connections it accepts and the requests it answers.
For the load tests: `python tests/dav_stub.py PORT COUNTS_FILE` writes its counts on SIGTERM and every
second. Nothing here checks a password: it stands for a suite's network behaviour, not its logic."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import sys

COUNTS = {"connections": 0, "requests": 0, "open": 0, "peak_open": 0}
MULTISTATUS = (b'<?xml version="1.0" encoding="utf-8"?><d:multistatus xmlns:d="DAV:"><d:response>'
               b'<d:href>/</d:href><d:propstat><d:prop/><d:status>HTTP/1.1 200 OK</d:status></d:propstat>'
               b'</d:response></d:multistatus>')
STATUS = {"PROPFIND": (207, MULTISTATUS), "REPORT": (207, MULTISTATUS), "GET": (200, b"ok " * 100),
          "PUT": (201, b""), "MKCOL": (201, b""), "MKCALENDAR": (201, b""), "DELETE": (204, b""),
          "HEAD": (200, b""), "OPTIONS": (200, b"")}
REASON = {200: "OK", 201: "Created", 204: "No Content", 207: "Multi-Status", 405: "Method Not Allowed"}


async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter):
    COUNTS["connections"] += 1
    COUNTS["open"] += 1
    COUNTS["peak_open"] = max(COUNTS["peak_open"], COUNTS["open"])
    try:
        while True:
            head = await reader.readuntil(b"\r\n\r\n")
            lines = head.decode("latin-1").split("\r\n")
            method = lines[0].split(" ", 1)[0]
            headers = {k.strip().lower(): v.strip() for k, _, v in (h.partition(":") for h in lines[1:] if h)}
            length = int(headers.get("content-length") or 0)
            if length:
                await reader.readexactly(length)
            COUNTS["requests"] += 1
            code, body = STATUS.get(method, (405, b""))
            close = headers.get("connection", "").lower() == "close"
            writer.write(f"HTTP/1.1 {code} {REASON[code]}\r\nContent-Length: {len(body)}\r\n"
                         f"Content-Type: application/xml\r\n{'Connection: close' if close else 'Connection: keep-alive'}"
                         f"\r\n\r\n".encode() + body)
            await writer.drain()
            if close:
                break
    except (asyncio.IncompleteReadError, ConnectionError, asyncio.LimitOverrunError):
        pass
    finally:
        COUNTS["open"] -= 1
        writer.close()


def dump(path: str):
    tmp = path + ".tmp"
    with open(tmp, "w") as f:
        json.dump(COUNTS, f)
    os.replace(tmp, path)


async def main(host: str, port: int, path: str):
    server = await asyncio.start_server(handle, host, port, backlog=4096, limit=1 << 20)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    loop.add_signal_handler(signal.SIGTERM, stop.set)
    loop.add_signal_handler(signal.SIGINT, stop.set)
    dump(path)
    while not stop.is_set():
        try:
            await asyncio.wait_for(stop.wait(), 1.0)
        except asyncio.TimeoutError:
            pass
        dump(path)
    server.close()
    dump(path)


if __name__ == "__main__":
    import resource
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    host = os.environ.get("STUB_HOST", "127.0.0.1")
    asyncio.run(main(host, int(sys.argv[1]), sys.argv[2]))
