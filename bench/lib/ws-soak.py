#!/usr/bin/env python3
"""Many WebSockets held open through a proxy while each echoes a message every interval, for bench/websockets-soak.sh.

  ws-soak.py echo PORT
      the upstream: a WebSocket echo server on 127.0.0.1:PORT
  ws-soak.py soak --count N --hold S --interval S --cafile F  NAME URL CONNECT-TO PIDS [HEADER ...] ...
      for each target in turn (five words each, HEADER given as 'Name: value' or '-'): open N WebSockets to URL
      (the TCP connection goes to CONNECT-TO, host:port), hold them for S seconds with one echoed message per
      socket per interval, close them; and sample the proxy's processes (PIDS, space-separated) before, when
      open, during the hold and after the close. Prints one table, the first target the baseline.
"""
import argparse
import asyncio
import os
import random
import resource
import ssl
import sys
import time

import websockets


def raise_fd_limit():
    _, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))


async def echo_server(port):
    async def echo(ws, _path=None):
        async for message in ws:
            await ws.send(message)
    async with websockets.serve(echo, "127.0.0.1", port, ping_interval=None, max_queue=4):
        await asyncio.Future()


def sample(pids):
    """RSS (KiB), threads and open descriptors summed over the processes; CPU ticks (user + system)."""
    rss = threads = fds = ticks = 0
    for pid in pids:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                key, _, value = line.partition(":")
                if key == "VmRSS":
                    rss += int(value.split()[0])
                elif key == "Threads":
                    threads += int(value)
        fds += len(os.listdir(f"/proc/{pid}/fd"))
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
            ticks += int(fields[11]) + int(fields[12])
    return {"rss": rss, "threads": threads, "fds": fds, "ticks": ticks}


async def soak(name, url, connect_to, pids, header, count, hold, interval, cafile):
    host, port = connect_to.rsplit(":", 1)
    context = None
    if url.startswith("wss:"):
        context = ssl.create_default_context(cafile=cafile)
    headers = []
    if header != "-":
        key, _, value = header.partition(":")
        headers.append((key.strip(), value.strip()))
    before = sample(pids)
    sockets = []
    failures = {"open": 0, "echo": 0}
    gate = asyncio.Semaphore(50)

    async def open_one():
        async with gate:
            try:
                ws = await websockets.connect(url, host=host, port=int(port), ssl=context, extra_headers=headers,
                                              ping_interval=None, open_timeout=30, max_queue=4)
                sockets.append(ws)
            except Exception as e:  # noqa: BLE001 - counted and reported, the soak goes on
                failures["open"] += 1
                if failures["open"] == 1:
                    print(f"{name}: first refused WebSocket: {e!r}", file=sys.stderr)

    t0 = time.monotonic()
    await asyncio.gather(*(open_one() for _ in range(count)))
    open_seconds = time.monotonic() - t0
    await asyncio.sleep(2)
    opened = sample(pids)
    latencies = []
    samples = []
    stop_at = time.monotonic() + hold

    async def chat(ws, index):
        # Spread over the interval, so that the proxy sees a steady rate rather than bursts.
        await asyncio.sleep(min(random.random() * interval, max(0.0, stop_at - time.monotonic())))
        seq = 0
        while time.monotonic() < stop_at:
            payload = f"{index}:{seq}:" + "x" * 24
            t = time.monotonic()
            try:
                await ws.send(payload)
                answer = await asyncio.wait_for(ws.recv(), timeout=10)
            except Exception:  # noqa: BLE001 - a dropped socket is a failure of the proxy, counted
                failures["echo"] += 1
                return
            if answer != payload:
                failures["echo"] += 1
                return
            latencies.append(time.monotonic() - t)
            seq += 1
            await asyncio.sleep(max(0.0, min(interval - (time.monotonic() - t), stop_at - time.monotonic())))

    async def sampler():
        while time.monotonic() < stop_at:
            await asyncio.sleep(min(10, hold / 6))
            samples.append(sample(pids))

    hold_start = sample(pids)
    await asyncio.gather(sampler(), *(chat(ws, i) for i, ws in enumerate(sockets)))
    hold_end = sample(pids)
    await asyncio.gather(*(ws.close() for ws in sockets), return_exceptions=True)
    await asyncio.sleep(3)
    closed = sample(pids)
    latencies.sort()
    hz = os.sysconf("SC_CLK_TCK")
    messages = len(latencies)
    return {
        "name": name, "opened": len(sockets), "open_s": open_seconds, "failures": failures, "messages": messages,
        "p99_ms": latencies[int(len(latencies) * 0.99)] * 1000 if latencies else 0,
        "cpu_us_per_message": (hold_end["ticks"] - hold_start["ticks"]) / hz * 1e6 / messages if messages else 0,
        "kib_per_socket": (opened["rss"] - before["rss"]) / max(1, len(sockets)),
        # Growth while the sockets stay open and busy: over the whole hold, and over its second half, where a
        # proxy whose memory has settled shows about zero and a leak shows as much as in the first half.
        "hold_growth_kib": hold_end["rss"] - hold_start["rss"],
        "late_growth_kib": hold_end["rss"] - (samples[len(samples) // 2]["rss"] if samples else hold_start["rss"]),
        "rss_mib": [round(s["rss"] / 1024, 1) for s in [before, opened] + samples + [hold_end, closed]],
        "before": before, "opened_sample": opened, "closed": closed,
    }


def table(results):
    base = results[0]
    row = "{:<34} {:>7} {:>8} {:>8} {:>7} {:>8} {:>6} {:>10} {:>10} {:>6}"
    print(row.format("path", "sockets", "failures", "messages", "p99 ms", "KiB/sock", "ratio", "hold grow",
                     "2nd half", "CPU us/msg"))
    for r in results:
        failures = r["failures"]["open"] + r["failures"]["echo"]
        ratio = r["kib_per_socket"] / base["kib_per_socket"] if base["kib_per_socket"] > 0 else 0
        print(row.format(r["name"], r["opened"], failures, r["messages"], f"{r['p99_ms']:.1f}",
                         f"{r['kib_per_socket']:.1f}", f"{ratio:.2f}x", f"{r['hold_growth_kib'] / 1024:+.1f}M",
                         f"{r['late_growth_kib'] / 1024:+.1f}M", f"{r['cpu_us_per_message']:.0f}"))
    print()
    print("ratio: memory per open WebSocket beside the first row's. Hold grow: RSS growth over the hold, and over its")
    print("second half (a leak grows there as in the first). RSS of each path's processes in MiB (before, open, every")
    print("hold sample, end of hold, 3 s after the close), and their threads and descriptors:")
    for r in results:
        print(f"  {r['name']:<32} rss {r['rss_mib']}")
        print(f"  {'':<32} threads {r['before']['threads']} -> {r['opened_sample']['threads']} -> "
              f"{r['closed']['threads']}, descriptors {r['before']['fds']} -> {r['opened_sample']['fds']} -> "
              f"{r['closed']['fds']}")


async def main(argv):
    raise_fd_limit()
    if argv[:1] == ["echo"] and len(argv) == 2:
        await echo_server(int(argv[1]))
        return 0
    parser = argparse.ArgumentParser(prog="ws-soak.py soak", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--count", type=int, default=1000)
    parser.add_argument("--hold", type=float, default=60.0)
    parser.add_argument("--interval", type=float, default=1.0)
    parser.add_argument("--cafile")
    parser.add_argument("targets", nargs="+", metavar="NAME URL CONNECT-TO PIDS HEADER")
    if argv[:1] != ["soak"]:
        parser.error("the first word is 'echo' or 'soak'")
    a = parser.parse_args(argv[1:])
    if len(a.targets) % 5 != 0:
        parser.error("each target is five words: NAME URL CONNECT-TO PIDS HEADER")
    results = []
    for i in range(0, len(a.targets), 5):
        name, url, connect_to, pids, header = a.targets[i:i + 5]
        results.append(await soak(name, url, connect_to, [int(p) for p in pids.split()], header,
                                  a.count, a.hold, a.interval, a.cafile))
    table(results)
    bad = sum(r["failures"]["open"] + r["failures"]["echo"] for r in results)
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main(sys.argv[1:])))
