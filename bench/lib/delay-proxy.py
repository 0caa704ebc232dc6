#!/usr/bin/python3
"""A TCP forwarder that stands in for a wide-area link: every byte arrives DELAY ms after it was sent, in both
directions, so a connection through it has a round trip of twice that. Bandwidth is not limited and nothing is
dropped: what a transfer loses to the delay is then its own (flow-control windows that must travel back before
more data may be sent), not the link's. Debian's own Python, standard library only.

    delay-proxy.py --listen 127.0.0.1:9000 --to 127.0.0.1:8800 --delay-ms 10
"""
import argparse
import asyncio
import collections
import time


async def pipe(reader, writer, delay):
    """Reads as fast as the sender writes and hands each piece on once it is `delay` seconds old."""
    queue = collections.deque()
    ready = asyncio.Event()
    done = False

    async def read():
        nonlocal done
        try:
            while data := await reader.read(1 << 18):
                queue.append((time.monotonic() + delay, data))
                ready.set()
        except (ConnectionError, OSError):
            pass
        done = True
        ready.set()

    async def write():
        try:
            while True:
                while not queue:
                    if done:
                        return
                    ready.clear()
                    await ready.wait()
                due, data = queue.popleft()
                wait = due - time.monotonic()
                if wait > 0:
                    await asyncio.sleep(wait)
                writer.write(data)
                await writer.drain()
        except (ConnectionError, OSError):
            pass
        finally:
            try:
                writer.write_eof()
            except (OSError, RuntimeError):
                writer.close()

    await asyncio.gather(read(), write())


async def serve(listen, to, delay):
    host, port = to.rsplit(":", 1)

    async def connection(client_reader, client_writer):
        try:
            upstream_reader, upstream_writer = await asyncio.open_connection(host, int(port))
        except OSError:
            client_writer.close()
            return
        await asyncio.gather(pipe(client_reader, upstream_writer, delay), pipe(upstream_reader, client_writer, delay))
        client_writer.close()
        upstream_writer.close()

    lhost, lport = listen.rsplit(":", 1)
    server = await asyncio.start_server(connection, lhost, int(lport))
    async with server:
        await server.serve_forever()


def main():
    parser = argparse.ArgumentParser(description="Forward TCP with a fixed one-way delay in each direction.")
    parser.add_argument("--listen", required=True, help="host:port to listen on")
    parser.add_argument("--to", required=True, help="host:port to forward to")
    parser.add_argument("--delay-ms", type=float, required=True, help="one-way delay; the round trip is twice this")
    args = parser.parse_args()
    asyncio.run(serve(args.listen, args.to, args.delay_ms / 1000))


if __name__ == "__main__":
    main()
