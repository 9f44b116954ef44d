"""Benchmark: ``blinakg serve`` under a bounded load on loopback (issue 12, S2).

Starts the endpoint on a store holding the example cohort, then runs N clients
(default 50) for S seconds (default 20), each sending catalogue-style SELECT
queries one after another on a connection of its own (a new connection every
tenth query, so the listen backlog is exercised too)::

    .venv/bin/python benchmarks/bench_endpoint_load.py [CLIENTS] [SECONDS]

Prints the throughput, the p50 and p99 latency, the HTTP statuses, and the
connection resets and refusals, which must be 0. Traffic goes to 127.0.0.1
only, and the run stops by itself.
"""

from __future__ import annotations

import http.client
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent
QUERY = ("PREFIX bk: <https://w3id.org/blinakg/ontology#> "
         "SELECT ?patient ?p ?o WHERE { ?patient a bk:Patient ; ?p ?o } LIMIT 50")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def build_store(path: Path) -> None:
    """The example patients, screened and added as a run."""
    subprocess.run([sys.executable, "-m", "blinakg.cli", "validate", str(ROOT / "examples" / "patients"),
                    "--as-of", "2025-03-01", "--store", str(path)], cwd=ROOT, check=False,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=_env())


def _env() -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(ROOT), env.get("PYTHONPATH", "")) if p)
    return env


def wait_up(port: int, process: subprocess.Popen[bytes], seconds: float = 90) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the server exited with {process.returncode}")
        try:
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            connection.request("GET", "/")
            if connection.getresponse().status == 200:
                return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError("the server did not come up")


def client(port: int, until: float, latencies: list[float], statuses: Counter[str], lock: threading.Lock) -> None:
    target = "/sparql?" + urlencode({"query": QUERY})
    connection: http.client.HTTPConnection | None = None
    sent = 0
    while time.monotonic() < until:
        if connection is None or sent % 10 == 0:
            if connection is not None:
                connection.close()
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        started = time.monotonic()
        try:
            connection.request("GET", target, headers={"Accept": "application/sparql-results+json"})
            response = connection.getresponse()
            response.read()
            outcome = str(response.status)
        except ConnectionResetError:
            outcome, connection = "reset", None
        except ConnectionRefusedError:
            outcome, connection = "refused", None
        except (http.client.RemoteDisconnected, BrokenPipeError):
            outcome, connection = "disconnected", None
        except OSError as err:
            outcome, connection = f"error:{type(err).__name__}", None
        elapsed = time.monotonic() - started
        sent += 1
        with lock:
            statuses[outcome] += 1
            if outcome == "200":
                latencies.append(elapsed)
    if connection is not None:
        connection.close()


def main(clients: int = 50, seconds: float = 20.0) -> int:
    with tempfile.TemporaryDirectory() as folder:
        store = Path(folder) / "store"
        build_store(store)
        port = free_port()
        server = subprocess.Popen([sys.executable, "-m", "blinakg.cli", "serve", "--store", str(store), "--port",
                                   str(port), "--quiet", "--workers", "2"], cwd=ROOT, env=_env(),
                                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            wait_up(port, server)
            latencies: list[float] = []
            statuses: Counter[str] = Counter()
            lock = threading.Lock()
            until = time.monotonic() + seconds
            threads = [threading.Thread(target=client, args=(port, until, latencies, statuses, lock))
                       for _ in range(clients)]
            started = time.monotonic()
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join(seconds + 120)
            elapsed = time.monotonic() - started
        finally:
            server.terminate()
            try:
                server.wait(15)
            except subprocess.TimeoutExpired:
                server.kill()
    total = sum(statuses.values())
    resets = statuses["reset"] + statuses["refused"] + statuses["disconnected"]
    ordered = sorted(latencies)
    p50 = statistics.median(ordered) if ordered else float("nan")
    p99 = ordered[min(len(ordered) - 1, int(0.99 * len(ordered)))] if ordered else float("nan")
    print(f"clients {clients}, {elapsed:.1f} s, {total} requests, {statuses['200']} answered 200")
    print(f"throughput {statuses['200'] / elapsed:.1f} queries/s; p50 {p50 * 1000:.1f} ms; p99 {p99 * 1000:.1f} ms")
    print(f"statuses {dict(statuses)}; resets {resets}")
    return 0 if resets == 0 and statuses["200"] > 0 else 1


if __name__ == "__main__":
    args = sys.argv[1:]
    sys.exit(main(int(args[0]) if args else 50, float(args[1]) if len(args) > 1 else 20.0))
