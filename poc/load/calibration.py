"""A calibration server whose limit is known in advance: it serves at most `slots` requests at
once, each taking `service` seconds, and queues the rest (first come, first served).

With users that think `think` seconds between requests, the response time stays `service` until
the slots are full and then grows as the queue does; the largest number of users it holds with a
p95 at or below `limit` seconds is, in advance:

    users = slots * (think + limit) / service

`python -m poc.load.calibration SLOTS SERVICE PORT` serves on 127.0.0.1:PORT (HTTP/1.1, keep-alive).
"""

from __future__ import annotations

import asyncio
import sys


def expected_capacity(slots: int, service: float, think: float, limit: float) -> float:
    return slots * (think + limit) / service


async def serve(slots: int, service: float, port: int, host: str = "127.0.0.1"):
    gate = asyncio.Semaphore(slots)
    body = b"ok\n"
    answer = (b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: " + str(len(body)).encode()
              + b"\r\n\r\n" + body)

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter):
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                length = 0
                for line in head.split(b"\r\n"):
                    if line.lower().startswith(b"content-length:"):
                        length = int(line.split(b":", 1)[1])
                if length:
                    await reader.readexactly(length)
                async with gate:
                    await asyncio.sleep(service)
                writer.write(answer)
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError, asyncio.LimitOverrunError):
            pass
        finally:
            writer.close()

    server = await asyncio.start_server(handle, host, port, backlog=4096)
    async with server:
        await server.serve_forever()


if __name__ == "__main__":
    asyncio.run(serve(int(sys.argv[1]), float(sys.argv[2]), int(sys.argv[3])))
