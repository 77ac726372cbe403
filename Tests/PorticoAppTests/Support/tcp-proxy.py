"""A TCP proxy on a loopback port, for tests of a database that stops answering.

    python3 tcp-proxy.py TARGET_PORT      # prints the port it listens on, then forwards

Sending it SIGSTOP freezes every connection through it without closing one (and
new ones connect but are never answered): what a network partition or a frozen
host looks like to Portico. SIGCONT lets them go on.
"""
import asyncio
import sys

TARGET = int(sys.argv[1])


async def pipe(reader, writer):
    try:
        while data := await reader.read(65536):
            writer.write(data)
            await writer.drain()
    except Exception:
        pass
    finally:
        writer.close()


async def handle(client_reader, client_writer):
    try:
        server_reader, server_writer = await asyncio.open_connection("127.0.0.1", TARGET)
    except Exception:
        client_writer.close()
        return
    await asyncio.gather(pipe(client_reader, server_writer), pipe(server_reader, client_writer))


async def main():
    server = await asyncio.start_server(handle, "127.0.0.1", 0)
    print(server.sockets[0].getsockname()[1], flush=True)
    async with server:
        await server.serve_forever()


asyncio.run(main())
