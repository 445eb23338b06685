#!/usr/bin/env python3
"""Local AWS emulator: moto plus a gateway that fills moto's gaps for this project.

Run with the venv made by setup.sh:
    .venv/emulator/bin/python tests/emulator/gateway.py [--ready-file PATH]

Prints one JSON line when ready, {"gateway": URL, "moto": URL, "pid": PID}; point
every AWS SDK client at the gateway URL. Exits when stdin reaches EOF (so a crashed
test run never leaks it) or on SIGTERM/SIGINT. See gateway_lib/ for the behaviour and
the /_emulator/ control API.
"""

import sys

sys.dont_write_bytecode = True  # keep __pycache__ out of the source tree

import argparse  # noqa: E402
import json  # noqa: E402
import logging  # noqa: E402
import os  # noqa: E402
import signal  # noqa: E402
import threading  # noqa: E402

from moto.server import ThreadedMotoServer  # noqa: E402

from gateway_lib.server import Gateway, GatewayServer  # noqa: E402


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ready-file", help="also write the ready JSON line to this file")
    parser.add_argument("--ignore-stdin", action="store_true",
                        help="do not exit on stdin EOF (when run detached, stdin=/dev/null)")
    args = parser.parse_args()

    # werkzeug logs every moto request at INFO; the gateway's request log replaces that.
    logging.getLogger("werkzeug").setLevel(logging.WARNING)

    moto = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    moto.start()
    moto_host, moto_port = moto.get_host_and_port()

    server = GatewayServer(Gateway(moto_host, moto_port))
    threading.Thread(target=server.serve_forever, name="gateway", daemon=True).start()
    gateway_host, gateway_port = server.server_address[:2]

    ready = json.dumps({
        "gateway": f"http://{gateway_host}:{gateway_port}",
        "moto": f"http://{moto_host}:{moto_port}",
        "pid": os.getpid(),
    })
    if args.ready_file:
        partial = f"{args.ready_file}.tmp"
        with open(partial, "w", encoding="utf-8") as handle:
            handle.write(ready + "\n")
        os.replace(partial, args.ready_file)  # readers never see half a line
    print(ready, flush=True)
    # The parent reads exactly one line; anything a library prints later goes to stderr.
    sys.stdout = sys.stderr

    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    if not args.ignore_stdin:
        threading.Thread(target=_wait_for_eof, args=(stop,), name="stdin", daemon=True).start()
    while not stop.wait(0.5):
        pass
    server.shutdown()
    server.server_close()
    sys.stderr.flush()
    # Skip interpreter finalisation: daemon threads (moto, the stdin reader) may still
    # be blocked in I/O, and there is nothing left to clean up.
    os._exit(0)


def _wait_for_eof(stop):
    # Raw fd reads: a daemon thread blocked in sys.stdin's buffered reader would hold
    # its lock while the interpreter shuts down.
    try:
        while os.read(sys.stdin.fileno(), 4096):
            pass
    except OSError:
        pass
    stop.set()


if __name__ == "__main__":
    main()
