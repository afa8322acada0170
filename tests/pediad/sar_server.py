"""A host kube-apiserver's SubjectAccessReview endpoint for tests of
pediad's Webhook authorization mode (tests/pediad/test_pediad.py,
tests/e2e/test_8_webhook.py). Standard library only."""
import http.server
import json
import threading


def by_user(spec):
    """The default policy: allows the user "hooked", explicitly denies
    "banned", has no opinion about anyone else."""
    user = spec.get("user")
    return user == "hooked", user == "banned", "by the test's host"


class SarServer:
    """POST /apis/authorization.k8s.io/v1/subjectaccessreviews on
    127.0.0.1 (plain HTTP, a bearer token). decide(spec) returns
    (allowed, denied, reason) for a review's spec (default: by_user);
    every spec received is kept in reviews, in order."""

    def __init__(self, token, decide=by_user):
        outer = self
        self.reviews = []
        self.lock = threading.Lock()

        class Handler(http.server.BaseHTTPRequestHandler):
            def log_message(self, *a):
                pass

            def do_POST(self):
                body = json.loads(self.rfile.read(
                    int(self.headers["Content-Length"])))
                ok = (self.path == "/apis/authorization.k8s.io/v1/"
                      "subjectaccessreviews" and
                      self.headers.get("Authorization") == f"Bearer {token}")
                if not ok:
                    self.send_response(401)
                    self.end_headers()
                    return
                with outer.lock:
                    outer.reviews.append(body["spec"])
                allowed, denied, reason = decide(body["spec"])
                body["status"] = {"allowed": allowed, "denied": denied,
                                  "reason": reason}
                out = json.dumps(body).encode()
                self.send_response(201)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(out)))
                self.end_headers()
                self.wfile.write(out)

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.httpd.server_address[1]
        self.thread = threading.Thread(target=self.httpd.serve_forever,
                                       daemon=True)
        self.thread.start()

    def kubeconfig(self, token):
        """A kubeconfig for --authorization-kubeconfig that reaches it."""
        return f"""\
apiVersion: v1
kind: Config
clusters:
- name: host
  cluster: {{server: "http://127.0.0.1:{self.port}"}}
users:
- name: pediad
  user: {{token: {token}}}
contexts:
- name: host
  context: {{cluster: host, user: pediad}}
current-context: host
"""

    def seen(self):
        with self.lock:
            return list(self.reviews)

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()
