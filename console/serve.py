"""``python -m console.serve``: several daphne processes on one listening socket.

Django runs a daphne process's sync views on one thread, so one process uses about one
core. This opens the socket once and starts ``--processes`` daphne children on it
(each adopts it as systemd would hand it over); the kernel hands each new connection
to whichever child accepts first, so there is no proxy in between and nothing to
configure. A WebSocket stays with
the process that accepted it; what it shows comes from the live feed, which every
process follows (the Redis channel layer, or embedded the database's change feed).

When one child ends, the others are stopped and this exits with its status, so the
supervisor (systemd, make run) restarts one unit. SIGTERM and SIGINT are passed on.

    python -m console.serve --bind 0.0.0.0 --port 8000 --processes 2
"""

import argparse
import os
import signal
import socket
import subprocess
import sys
import time


def listening_socket(host, port, backlog=1024):
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    listener = socket.socket(family, socket.SOCK_STREAM)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind((host, port))
    listener.listen(backlog)
    listener.set_inheritable(True)
    return listener


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--bind", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8000)
    parser.add_argument(
        "--processes", type=int, default=os.cpu_count() or 1, help="default: one per core"
    )
    parser.add_argument("--application", default="console.asgi:application")
    parser.add_argument("--child", type=int, help=argparse.SUPPRESS)
    parser.add_argument("daphne_options", nargs="*", help="passed to each daphne (after --)")
    options = parser.parse_args(argv)
    if options.child is not None:
        return run_child(options.child, options.daphne_options)
    listener = listening_socket(options.bind, options.port)
    domain = "INET6" if listener.family == socket.AF_INET6 else "INET"
    command = [sys.executable, "-m", "console.serve", "--child", str(listener.fileno()), "--"]
    command += ["-e", f"systemd:domain={domain}:index=0"]
    command += [*options.daphne_options, options.application]
    children = [
        subprocess.Popen(command, pass_fds=[listener.fileno()])
        for _ in range(max(1, options.processes))
    ]
    listener.close()  # the children hold it

    asked = []

    def stop(signum, frame):
        if signum is not None:
            asked.append(signum)
        for child in children:
            if child.poll() is None:
                child.send_signal(signal.SIGTERM)

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    try:
        while all(child.poll() is None for child in children):
            time.sleep(0.5)
        ended = next(child.returncode for child in children if child.poll() is not None)
    finally:
        stop(None, None)
        for child in children:
            try:
                child.wait(timeout=15)
            except subprocess.TimeoutExpired:
                child.kill()
    if asked:
        return 0
    return ended if ended > 0 else 1  # a child that ended on its own is a failure


def run_child(fileno, daphne_arguments):
    """One daphne on the inherited socket. daphne's ``--fd`` names twisted's ``fd:``
    endpoint, which this twisted no longer has; its ``systemd:`` endpoint adopts the
    descriptor that systemd's protocol says: fd 3, for this very process id."""
    if fileno != 3:
        os.dup2(fileno, 3)
        os.close(fileno)
    os.environ.update(LISTEN_FDS="1", LISTEN_FDNAMES="web", LISTEN_PID=str(os.getpid()))
    from daphne.cli import CommandLineInterface

    CommandLineInterface().run(daphne_arguments)
    return 0


if __name__ == "__main__":
    sys.exit(main())
