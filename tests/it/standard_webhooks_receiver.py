"""A webhook receiver built on the Standard Webhooks reference library (PyPI
`standardwebhooks`), for golive's tests of `golive webhook send`.

It listens on 127.0.0.1 (a free port, printed as the first line of stdout),
answers 200 "verified" when the library's `Webhook.verify` accepts a
delivery and 400 with the library's reason when it refuses it, and exits by
itself after 120 seconds. The secret comes from RECEIVER_SECRET.
"""

import os
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer

from standardwebhooks.webhooks import Webhook, WebhookVerificationError

HOOK = Webhook(os.environ["RECEIVER_SECRET"])


class Handler(BaseHTTPRequestHandler):
    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("content-length", "0")))
        try:
            HOOK.verify(body, dict(self.headers.items()))
        except WebhookVerificationError as e:
            self.answer(400, f"refused: {e}")
            return
        self.answer(200, "verified")

    def answer(self, status, text):
        data = text.encode()
        self.send_response(status)
        self.send_header("content-type", "text/plain")
        self.send_header("content-length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args):
        pass


server = HTTPServer(("127.0.0.1", 0), Handler)
threading.Timer(120, lambda: os._exit(0)).start()
print(server.server_address[1], flush=True)
server.serve_forever()
