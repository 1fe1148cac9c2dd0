#!/usr/bin/env python3
"""A small HTTP/HTTPS server for ps-toolkit's tests, demos and benchmarks.

Listens on 127.0.0.1 only. Prints the port it got on stdout (one line) and,
with --port-file, writes it there too, then serves until SIGTERM/SIGINT.

  scripts/http-test-server.py [--port N] [--port-file F] [--tls CERT KEY]
                              [--record FILE] [--fast [--workers N]]

Endpoints (GET unless said):
  /health, /health/database, /health/*   200 {"status":"ok"} while healthy,
                                         503 {"status":"fail"} while failing
  /flip                                  toggle healthy <-> failing
  /flip/fail, /flip/ok                   set the state; answer the new state
  /status/NNN                            answer status NNN
  /delay/SECS[/...]                      wait SECS seconds, then 200
  /hang                                  accept and never answer
  /flaky/N/KEY                           503 for the first N requests of KEY, then 200
  /json                                  {"status":"ok","db":{"up":true,"n":3}}
  /text                                  a text body "hello world"
  /echo                                  the method and headers as JSON
  POST /hook[/...], POST /api/v2/alerts  record the body (see --record); 200
  /hookfail/N                            the next N recorded POSTs answer 500
  /recorded                              the recorded POST bodies, one per line
  /stats                                 request counts as JSON

--fast answers every request with 200 "ok" from an asyncio loop (for the
benchmarks: thousands of connections per second on one core).
"""
import argparse
import asyncio
import json
import signal
import socket
import ssl
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

STATE = {"healthy": True, "hookfail": 0, "requests": 0, "posts": 0}
LOCK = threading.Lock()
RECORDED = []
ARGS = None
STOP = threading.Event()


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "ps-test-server/1"

    def log_message(self, fmt, *args):  # quiet
        pass

    def setup(self):
        # TLS: handshake in the handler thread, so a client that never
        # completes one cannot stall the accept loop.
        if isinstance(self.request, ssl.SSLSocket):
            self.request.settimeout(10)
            try:
                self.request.do_handshake()
            except (OSError, ssl.SSLError):
                pass
            self.request.settimeout(None)
        super().setup()

    def send(self, code, body, ctype="application/json"):
        if isinstance(body, (dict, list)):
            body = json.dumps(body)
        data = body.encode() if isinstance(body, str) else body
        self.send_response(code)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(data)))
        self.send_header("Connection", "close")
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(data)
        self.close_connection = True

    def route(self):
        with LOCK:
            STATE["requests"] += 1
        path = self.path.split("?", 1)[0]
        parts = [p for p in path.split("/") if p]
        if path == "/health" or path.startswith("/health/"):
            if STATE["healthy"]:
                return self.send(200, {"status": "ok"})
            return self.send(503, {"status": "fail"})
        if parts[:1] == ["flip"]:
            with LOCK:
                if len(parts) > 1:
                    STATE["healthy"] = parts[1] == "ok"
                else:
                    STATE["healthy"] = not STATE["healthy"]
                state = "ok" if STATE["healthy"] else "fail"
            return self.send(200, {"state": state})
        if parts[:1] == ["status"] and len(parts) > 1 and parts[1].isdigit():
            return self.send(int(parts[1]), {"status": int(parts[1])})
        if parts[:1] == ["delay"] and len(parts) > 1:
            try:
                secs = float(parts[1])
            except ValueError:
                return self.send(400, {"error": "bad delay"})
            STOP.wait(min(secs, 600))
            return self.send(200, {"status": "ok", "delay": secs})
        if parts[:1] == ["flaky"] and len(parts) > 2 and parts[1].isdigit():
            with LOCK:
                seen = STATE.setdefault("flaky", {})
                seen[parts[2]] = seen.get(parts[2], 0) + 1
                n = seen[parts[2]]
            if n <= int(parts[1]):
                return self.send(503, {"status": "fail", "attempt": n})
            return self.send(200, {"status": "ok", "attempt": n})
        if path == "/hang":
            STOP.wait(3600)
            return None
        if path == "/json":
            return self.send(200, {"status": "ok", "db": {"up": True, "n": 3}})
        if path == "/text":
            return self.send(200, "hello world\n", "text/plain")
        if path == "/echo":
            return self.send(200, {"method": self.command,
                                   "headers": dict(self.headers.items())})
        if parts[:1] == ["hookfail"] and len(parts) > 1 and parts[1].isdigit():
            with LOCK:
                STATE["hookfail"] = int(parts[1])
            return self.send(200, {"hookfail": int(parts[1])})
        if path == "/recorded":
            with LOCK:
                body = "".join(RECORDED)
            return self.send(200, body, "application/x-ndjson")
        if path == "/stats":
            with LOCK:
                return self.send(200, dict(STATE, recorded=len(RECORDED)))
        return self.send(404, {"error": "not found", "path": path})

    def do_GET(self):
        self.route()

    def do_HEAD(self):
        self.route()

    def do_POST(self):
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        path = self.path.split("?", 1)[0]
        if path.startswith("/hook") or path == "/api/v2/alerts":
            with LOCK:
                STATE["posts"] += 1
                if STATE["hookfail"] > 0:
                    STATE["hookfail"] -= 1
                    failing = True
                else:
                    failing = False
                    line = json.dumps({"path": path,
                                       "content_type": self.headers.get("Content-Type"),
                                       "body": body.decode("utf-8", "replace")}) + "\n"
                    RECORDED.append(line)
                    if ARGS.record:
                        with open(ARGS.record, "a") as f:
                            f.write(line)
            if failing:
                return self.send(500, {"error": "injected failure"})
            return self.send(200, {"ok": True})
        return self.route()

    do_PUT = do_POST
    do_DELETE = do_GET


class Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 1024
    allow_reuse_address = True


async def fast_serve(sock):
    resp = (b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n"
            b"Content-Length: 3\r\nConnection: close\r\n\r\nok\n")

    class Proto(asyncio.Protocol):
        def connection_made(self, transport):
            self.t = transport
            self.buf = b""

        def data_received(self, data):
            self.buf += data
            if b"\r\n\r\n" in self.buf:
                self.t.write(resp)
                self.t.close()

    loop = asyncio.get_running_loop()
    server = await loop.create_server(Proto, sock=sock, backlog=4096)
    stop = asyncio.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    async with server:
        await stop.wait()


def main():
    global ARGS
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--port-file")
    ap.add_argument("--tls", nargs=2, metavar=("CERT", "KEY"))
    ap.add_argument("--record")
    ap.add_argument("--fast", action="store_true")
    ap.add_argument("--workers", type=int, default=1,
                    help="with --fast: processes sharing the socket")
    ARGS = ap.parse_args()

    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", ARGS.port))
    sock.listen(4096)
    port = sock.getsockname()[1]
    if ARGS.port_file:
        with open(ARGS.port_file + ".tmp", "w") as f:
            f.write(f"{port}\n")
        import os
        os.replace(ARGS.port_file + ".tmp", ARGS.port_file)
    print(port, flush=True)

    if ARGS.fast:
        import os
        children = []
        for _ in range(max(ARGS.workers, 1) - 1):
            pid = os.fork()
            if pid == 0:
                asyncio.run(fast_serve(sock))
                os._exit(0)
            children.append(pid)
        try:
            asyncio.run(fast_serve(sock))
        finally:
            for pid in children:
                try:
                    os.kill(pid, signal.SIGTERM)
                    os.waitpid(pid, 0)
                except OSError:
                    pass
        return

    httpd = Server(("127.0.0.1", port), Handler, bind_and_activate=False)
    httpd.socket.close()
    httpd.socket = sock
    if ARGS.tls:
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(ARGS.tls[0], ARGS.tls[1])
        httpd.socket = ctx.wrap_socket(sock, server_side=True,
                                       do_handshake_on_connect=False)

    def stop(signum, frame):
        STOP.set()
        threading.Thread(target=httpd.shutdown, daemon=True).start()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    httpd.serve_forever(poll_interval=0.2)
    httpd.server_close()


if __name__ == "__main__":
    sys.exit(main())
