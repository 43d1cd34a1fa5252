#!/usr/bin/env python3
"""A registry that answers /v2/ and serves one bad manifest for every tag, for the tests of what
berth does with a hostile server (the real docker-registry refuses to store these).

  hostile_registry.py PORT KIND     KIND: huge | schema1 | lying-digest | endless-blob
"""
import hashlib
import http.server
import json
import sys

KIND = sys.argv[2]


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def send(self, code, body, ctype="application/json", headers=None):
        self.send_response(code)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Docker-Distribution-API-Version", "registry/2.0")
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def do_HEAD(self):
        self.do_GET()

    def do_GET(self):
        if self.path in ("/v2/", "/v2"):
            return self.send(200, b"{}")
        if "/manifests/" in self.path:
            return self.manifest()
        if "/blobs/" in self.path:
            return self.blob()
        self.send(404, b'{"errors":[{"code":"NAME_UNKNOWN"}]}')

    def manifest(self):
        mt = "application/vnd.oci.image.manifest.v1+json"
        if KIND == "huge":
            body = b'{"schemaVersion": 2, "mediaType": "%s", "layers": [' % mt.encode()
            body += b" " * (16 * 1024 * 1024) + b"]}"
        elif KIND == "schema1":
            mt = "application/vnd.docker.distribution.manifest.v1+prettyjws"
            body = json.dumps({"schemaVersion": 1, "name": "x", "tag": "1", "fsLayers": []}).encode()
        else:
            config = b'{"architecture":"amd64","os":"linux","rootfs":{"type":"layers","diff_ids":["sha256:' + b"0" * 64 + b'"]}}'
            body = json.dumps({
                "schemaVersion": 2, "mediaType": mt,
                "config": {"mediaType": "application/vnd.oci.image.config.v1+json",
                           "digest": "sha256:" + hashlib.sha256(config).hexdigest(), "size": len(config)},
                "layers": [{"mediaType": "application/vnd.oci.image.layer.v1.tar",
                            "digest": "sha256:" + "1" * 64, "size": 1024}]}).encode()
        digest = "sha256:" + hashlib.sha256(body).hexdigest()
        if KIND == "lying-digest":
            digest = "sha256:" + "2" * 64
        self.send(200, body, mt, {"Docker-Content-Digest": digest})

    def blob(self):
        if KIND == "endless-blob":
            # Far more than the descriptor's size, without a Content-Length.
            self.send_response(200)
            self.send_header("Content-Type", "application/octet-stream")
            self.send_header("Connection", "close")
            self.end_headers()
            try:
                for _ in range(4096):
                    self.wfile.write(b"\0" * 65536)
            except OSError:
                pass
            return
        self.send(404, b'{"errors":[{"code":"BLOB_UNKNOWN"}]}')


http.server.ThreadingHTTPServer(("127.0.0.1", int(sys.argv[1])), Handler).serve_forever()
