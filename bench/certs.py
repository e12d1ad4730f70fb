"""Certificate expiry benchmark: 50 TLS endpoints on loopback, some slow to answer.

A server process (this file with --serve) holds 50 TLS endpoints on 127.0.0.1, each with
its own certificate from one private CA; a few wait before the handshake and one waits
longest. The client process then measures, alternating run after run:
  * the slowest endpoint probed alone (primetui's probe_endpoint);
  * all 50 probed the way the Certificates tab and `certs list` do (probe_endpoints:
    one thread each, a timeout each, chain and names checked);
  * a sequential `openssl s_client … | openssl x509 -noout -enddate` loop over the same 50.
Reports medians and the ratios; the budget is all-50 ≤ 2× the slowest single endpoint.
Usage: python bench/certs.py [--endpoints 50] [--slow 1.0] [--runs 5] [--json]
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import shlex
import socket
import ssl
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from primetui.certificates.probe import ProbeState, probe_endpoint, probe_endpoints  # noqa: E402
from primetui.sandbox.tls import cert_pem, make_ca, write_leaf  # noqa: E402

BUDGET = 2.0


def delays(count: int, slow: float) -> list[float]:
    """Seconds each endpoint waits before its handshake: most none, a few some, one `slow`."""
    waits = [0.0] * count
    for i in range(1, count, 10):
        waits[i] = slow / 4
    waits[count // 2] = slow
    return waits


def serve(directory: Path, count: int, slow: float) -> None:
    """Start the endpoints, print one JSON line describing them, serve until stdin closes."""
    ca_key, ca_cert = make_ca("bench CA")
    (directory / "ca.pem").write_bytes(cert_pem(ca_cert))
    not_after = dt.datetime.now(dt.UTC) + dt.timedelta(days=30)
    endpoints = []
    for i, wait in enumerate(delays(count, slow)):
        domain = f"site{i:02d}.bench.test"
        leaf = write_leaf(directory, ca_key, ca_cert, [domain], not_after, stem=domain)
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(leaf.cert_file, leaf.key_file)
        listener = socket.create_server(("127.0.0.1", 0), backlog=128)
        threading.Thread(target=_accept, args=(listener, context, wait), daemon=True).start()
        endpoints.append({"domain": domain, "port": listener.getsockname()[1], "wait": wait})
    print(json.dumps({"ca_file": str(directory / "ca.pem"), "endpoints": endpoints}), flush=True)
    sys.stdin.read()  # the client closes our stdin when it is done


def _accept(listener: socket.socket, context: ssl.SSLContext, wait: float) -> None:
    while True:
        conn, _ = listener.accept()
        threading.Thread(target=_answer, args=(conn, context, wait), daemon=True).start()


def _answer(conn: socket.socket, context: ssl.SSLContext, wait: float) -> None:
    time.sleep(wait)  # a slow server: the handshake starts late
    try:
        conn.settimeout(10)
        with context.wrap_socket(conn, server_side=True) as tls:
            tls.recv(1)
    except OSError:
        pass
    finally:
        conn.close()


def openssl_loop(world: dict) -> float:
    """Seconds for the runbook's way: one openssl s_client after another."""
    lines = [f"openssl s_client -connect 127.0.0.1:{e['port']} -servername {e['domain']} "
             f"</dev/null 2>/dev/null | openssl x509 -noout -enddate"
             for e in world["endpoints"]]
    t0 = time.perf_counter()
    done = subprocess.run(["sh", "-c", "\n".join(lines)], capture_output=True, text=True,
                          timeout=600)
    elapsed = time.perf_counter() - t0
    assert done.stdout.count("notAfter=") == len(lines), done.stdout + done.stderr
    return elapsed


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--endpoints", type=int, default=50)
    parser.add_argument("--slow", type=float, default=1.0, help="the slowest endpoint's delay (s)")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--serve", metavar="DIR", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        serve(Path(args.serve), args.endpoints, args.slow)
        return 0
    with tempfile.TemporaryDirectory(prefix="primetui-bench-certs-") as tmp:
        server = subprocess.Popen([sys.executable, __file__, "--serve", tmp, "--endpoints",
                                   str(args.endpoints), "--slow", str(args.slow)],
                                  stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        try:
            world = json.loads(server.stdout.readline())
            result = measure(world, args.runs)
        finally:
            server.stdin.close()
            server.wait(10)
    result["command"] = "python bench/certs.py " + shlex.join(sys.argv[1:])
    if args.json:
        print(json.dumps(result, indent=2))
    else:
        report(result)
    return 0 if result["ratio_slowest"] <= BUDGET else 1


def measure(world: dict, runs: int) -> dict:
    ca_file = Path(world["ca_file"])
    targets = [(e["domain"], f"127.0.0.1:{e['port']}") for e in world["endpoints"]]
    slowest = max(world["endpoints"], key=lambda e: e["wait"])
    single, together, loop = [], [], []
    probe_endpoints(targets[:2], ca_file=ca_file)  # warm up: imports, trust store
    for _ in range(runs):
        t0 = time.perf_counter()
        alone = probe_endpoint(slowest["domain"], f"127.0.0.1:{slowest['port']}", ca_file=ca_file)
        single.append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        probes = probe_endpoints(targets, ca_file=ca_file, timeout=8)
        together.append(time.perf_counter() - t0)
        assert alone.state is ProbeState.OK
        assert all(p.state is ProbeState.OK for p in probes), [p.message for p in probes]
        loop.append(openssl_loop(world))
    med = {name: statistics.median(values) for name, values in
           (("slowest_single", single), ("all", together), ("openssl_loop", loop))}
    return {"endpoints": len(targets), "slow_delay": slowest["wait"], "runs": runs,
            "seconds": {k: [round(v, 3) for v in vs] for k, vs in
                        (("slowest_single", single), ("all", together), ("openssl_loop", loop))},
            "median": {k: round(v, 3) for k, v in med.items()},
            "ratio_slowest": round(med["all"] / med["slowest_single"], 3),
            "ratio_openssl": round(med["all"] / med["openssl_loop"], 3)}


def report(r: dict) -> None:
    m = r["median"]
    print(f"{r['endpoints']} TLS endpoints on loopback, slowest waits {r['slow_delay']:g} s, "
          f"{r['runs']} runs (medians):")
    print(f"  slowest endpoint alone:          {m['slowest_single']:.3f} s")
    print(f"  all {r['endpoints']} (primetui, concurrent): {m['all']:.3f} s")
    print(f"  sequential openssl s_client loop: {m['openssl_loop']:.3f} s")
    verdict = "within" if r["ratio_slowest"] <= BUDGET else "OVER"
    print(f"  all / slowest single: {r['ratio_slowest']:.2f} ({verdict} the {BUDGET:g}x budget)")
    print(f"  all / openssl loop:   {r['ratio_openssl']:.2f}")


if __name__ == "__main__":
    raise SystemExit(main())
