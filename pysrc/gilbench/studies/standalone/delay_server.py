"""Loopback server that answers each connection's first byte after a delay.

    python -I delay_server.py DELAY_S

It prints its port on the first line of stdout, then for every connection reads one byte,
waits DELAY_S (asyncio, one thread: any number of requests wait at once) and sends the
byte back. It exits when its stdin closes. I/O-bound clients of it spend their time
waiting on a socket, as clients of a slow service do.
"""

import asyncio
import sys
import threading


async def serve(delay, ready):
    async def handle(reader, writer):
        try:
            data = await reader.read(1)
            await asyncio.sleep(delay)
            writer.write(data)
            await writer.drain()
        finally:
            writer.close()

    server = await asyncio.start_server(handle, "127.0.0.1", 0, backlog=1024)
    ready(server.sockets[0].getsockname()[1])
    await server.serve_forever()


def main(delay):
    def ready(port):
        print(port, flush=True)

    threading.Thread(target=asyncio.run, args=(serve(delay, ready),), daemon=True).start()
    sys.stdin.read()  # until the parent closes our stdin (or kills us)


if __name__ == "__main__":
    main(float(sys.argv[1]))
