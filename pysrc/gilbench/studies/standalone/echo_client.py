"""Loopback echo client: measures how fast a thread of another process answers.

    python -I echo_client.py PORT TIMEOUT_S

It connects to 127.0.0.1:PORT, then for every line ``MAX_PINGS MIN_PINGS BUDGET_S GAP_S``
on stdin sends one byte at a time and times the echo (``time.perf_counter``), waiting a
random 0..GAP_S between pings so that they arrive at every phase of the other side's
scheduling; it stops after MAX_PINGS, or after BUDGET_S once it has MIN_PINGS. It answers
with one JSON line: the round-trip times in seconds, or ``{"error": ...}``. Being its own
process, with its own GIL, the client's clock is not held up by the process it measures.
"""

import json
import random
import socket
import sys
import time


def pings(sock, max_pings, min_pings, budget_s, gap_s, rng):
    clock = time.perf_counter
    times = []
    end = clock() + budget_s
    while len(times) < max_pings and (clock() < end or len(times) < min_pings):
        t0 = clock()
        sock.sendall(b"x")
        if sock.recv(1) != b"x":
            raise ConnectionError("the echo server closed the connection")
        times.append(clock() - t0)
        time.sleep(rng.uniform(0.0, gap_s))
    return times


def main(port, timeout):
    rng = random.Random(0)
    sock = socket.create_connection(("127.0.0.1", port), timeout=timeout)
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    for line in sys.stdin:
        max_pings, min_pings, budget_s, gap_s = line.split()
        try:
            reply = pings(sock, int(max_pings), int(min_pings), float(budget_s),
                          float(gap_s), rng)
        except OSError as exc:  # timeouts included: the caller reports it
            reply = {"error": f"{type(exc).__name__}: {exc}"}
        print(json.dumps(reply), flush=True)
    sock.close()


if __name__ == "__main__":
    main(int(sys.argv[1]), float(sys.argv[2]))
