#!/usr/bin/env python3
"""A misbehaving emotion API for the robustness tests.

usage: api_server.py MODE PORT_FILE [CERT KEY]
MODE: ok (a valid answer), slow (answers after 30 s), hang (reads the
request, never answers), garbage (200 with random bytes), huge (200 with an
endless body), reset (closes the connection at once), error (HTTP 500).
It listens on 127.0.0.1 on a free port, writes the port to PORT_FILE, logs
every request's headers to PORT_FILE.requests and serves until killed;
with CERT and KEY (PEM files) it speaks HTTPS.
"""
import http.server
import os
import socketserver
import sys
import time

MODE = sys.argv[1]
PORT_FILE = sys.argv[2]
REQ_LOG = PORT_FILE + ".requests"


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def do_POST(self):
        n = int(self.headers.get("Content-Length", "0") or 0)
        self.rfile.read(n) if n > 0 else None
        with open(REQ_LOG, "a") as f:
            f.write(str(self.headers).replace("\n", " | ") + "\n")
        try:
            if MODE == "ok":
                body = b'{"angry":0.05,"disgust":0.01,"fear":0.04,"happy":0.6,"sad":0.1,"surprise":0.1,"neutral":0.1}'
                self.reply(200, body)
            elif MODE == "slow":
                time.sleep(30)
                self.reply(200, b'{"happy":1}')
            elif MODE == "hang":
                time.sleep(3600)
            elif MODE == "garbage":
                self.reply(200, os.urandom(3000))
            elif MODE == "huge":
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(1 << 34))
                self.end_headers()
                chunk = b'{"happy":' + b"9" * 65536
                while True:
                    self.wfile.write(chunk)
            elif MODE == "reset":
                self.connection.close()
            else:
                self.reply(500, b"internal error")
        except (BrokenPipeError, ConnectionResetError):
            pass

    def reply(self, code, body):
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


class Server(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True
    allow_reuse_address = True


srv = Server(("127.0.0.1", 0), Handler)
if len(sys.argv) > 4:  # CERT KEY: serve HTTPS
    import ssl
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(sys.argv[3], sys.argv[4])
    srv.socket = ctx.wrap_socket(srv.socket, server_side=True)
with open(PORT_FILE + ".tmp", "w") as f:
    f.write(str(srv.server_address[1]))
os.rename(PORT_FILE + ".tmp", PORT_FILE)
srv.serve_forever()
