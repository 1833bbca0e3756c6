"""The preview server against hostile requests: raw HTTP over a socket, so nothing normalises
the request target on the way (issue 11, point 1).

The server runs in-process on port 0 over a hand-made site folder with secrets around it: a
file beside `site/`, a `.git/config` in the repository, a file outside the repository, and
symlinks inside `site/` that point at them. No response may ever carry a secret.
"""

from __future__ import annotations

import socket
import threading
from pathlib import Path

import pytest

from broadsheet.config import Config
from broadsheet.preview import serve

SECRETS = (b"secret-beside-site", b"token-in-git-config", b"secret-outside-repo", b"root:x:0:0")
PAGE = b"<html><body><h1>Front page</h1></body></html>"
ARTICLE = b"<html><body><h1>The Third Way</h1></body></html>"
MISSING = b"<html><body><h1>Nothing here</h1></body></html>"


def make_site(tmp: Path) -> Path:
    """A repository with a built-looking `site/` and secrets beside, above and inside it."""
    root = tmp / "repo"
    site = root / "site"
    (site / "2022/third-way").mkdir(parents=True)
    (site / "index.html").write_bytes(PAGE)
    (site / "2022/third-way/index.html").write_bytes(ARTICLE)
    (site / "404.html").write_bytes(MISSING)
    (site / "folder").mkdir()  # a folder without index.html: no listing
    (site / "folder/listed-name.json").write_text("{}")
    (root / "secret.txt").write_bytes(SECRETS[0])
    (root / ".git").mkdir()
    (root / ".git/config").write_bytes(SECRETS[1])
    (tmp / "outside.txt").write_bytes(SECRETS[2])
    (site / "link-out.txt").symlink_to(root / "secret.txt")
    (site / "link-git").symlink_to(root / ".git", target_is_directory=True)
    (site / "link-up").symlink_to(tmp, target_is_directory=True)
    (site / "link-relative.txt").symlink_to("../../outside.txt")
    (site / "link-in.html").symlink_to("index.html")  # inside site/: fine
    return root


class Running:
    """A preview server on a free port, serving `root/site` under `base`."""

    def __init__(self, root: Path, base: str) -> None:
        self.base = base
        self.preview = serve.Preview(Config(root=root, base_url=base))
        self.server = serve.make_server(self.preview, 0)
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(
            target=self.server.serve_forever, kwargs={"poll_interval": 0.01}, daemon=True
        )
        self.thread.start()

    def close(self) -> None:
        self.preview.stop()  # ends open event streams, so closing does not wait for them
        self.server.shutdown()
        self.server.server_close()

    def raw(self, request: bytes, first_line_only: bool = False) -> tuple[int, bytes, bytes]:
        """Send `request` as is; (status, head, body) of the answer."""
        with socket.create_connection(("127.0.0.1", self.port), timeout=5) as s:
            s.sendall(request)
            data = b""
            while chunk := s.recv(65536):
                data += chunk
                if first_line_only and b"\r\n\r\n" in data:
                    break
        head, _, body = data.partition(b"\r\n\r\n")
        status = int(head.split(b" ", 2)[1])
        for secret in SECRETS:
            assert secret not in data, (request[:200], data[:500])
        assert b"Traceback" not in data, data[:500]
        return status, head, body

    def get(self, target: str, host: str | None = None, method: str = "GET",
            version: str = "HTTP/1.1", first_line_only: bool = False, send_host: bool = True):
        host = f"127.0.0.1:{self.port}" if host is None else host
        lines = [f"{method} {target} {version}"] + ([f"Host: {host}"] if send_host else [])
        request = ("\r\n".join([*lines, "Connection: close", "", ""])).encode("latin-1")
        return self.raw(request, first_line_only)


@pytest.fixture(scope="module", params=["/", "/archive/"], ids=["root", "sub-path"])
def server(request, tmp_path_factory):
    """One server per base for the whole module: the tests only read."""
    running = Running(make_site(tmp_path_factory.mktemp("hostile")), request.param)
    yield running
    running.close()


# --- ordinary requests keep working ------------------------------------------------------


def test_pages_redirects_and_the_404_page(server):
    b = server.base
    status, _, body = server.get(b)
    assert status == 200 and b"Front page" in body
    assert b"/__broadsheet/events" in body  # the reload script is still injected
    assert server.get(f"{b}2022/third-way/")[0] == 200
    assert b"The Third Way" in server.get(f"{b}2022/third-way/index.html?since=3")[2]
    assert b"The Third Way" in server.get(f"{b}2022/third%2Dway/")[2]  # a harmless escape
    status, head, _ = server.get(f"{b}2022/third-way")
    assert status == 302 and f"Location: {b}2022/third-way/".encode() in head
    status, _, body = server.get(f"{b}no-such-page.html")
    assert status == 404 and b"Nothing here" in body
    assert server.get(f"{b}link-in.html")[0] == 200  # a symlink that stays inside site/
    status, _, body = server.get(b, method="HEAD")
    assert status == 200 and body == b""


def test_the_sub_path_redirects_from_its_bare_name_and_from_the_root(tmp_path):
    running = Running(make_site(tmp_path), "/archive/")
    try:
        for target in ("/archive", "/"):
            status, head, _ = running.get(target)
            assert status == 302 and b"Location: /archive/\r\n" in head, target
        assert running.get("/elsewhere/index.html")[0] == 404
    finally:
        running.close()


def test_event_stream_answers_our_own_host(server):
    status, head, _ = server.get("/__broadsheet/events?since=0", first_line_only=True)
    assert status == 200 and b"Content-Type: text/event-stream" in head


# --- paths that try to leave site/ -------------------------------------------------------

ESCAPES = [
    "%2Fetc%2Fpasswd",
    "%2fetc/passwd",
    "%2Fetc/passwd",
    "%2Fproc%2Fself%2Fenviron",
    "%2F..%2Fsecret.txt",
    "../secret.txt",
    "../../outside.txt",
    "../.git/config",
    "..%2Fsecret.txt",
    "..%2f.git%2fconfig",
    "%2e%2e/secret.txt",
    "%2E%2E/%2E%2E/outside.txt",
    ".%2e/secret.txt",
    "%2e%2e%2fsecret.txt",
    "%252e%252e/secret.txt",
    "%252e%252e%252fsecret.txt",
    "%252Fetc%252Fpasswd",
    "2022/../../secret.txt",
    "./../secret.txt",
    "/etc/passwd",
    "//etc/passwd",
    "link-out.txt",
    "link-relative.txt",
    "link-git/config",
    "link-up/outside.txt",
    "link-up/repo/secret.txt",
    "link-up/",
    "link-git/",
    "folder/",
    "a" * 300,
    "a/" * 20000,
]


@pytest.mark.parametrize("rest", ESCAPES)
def test_escapes_are_404(server, rest):
    status, _, body = server.get(server.base + rest)
    assert status == 404, rest
    assert b"listed-name" not in body


@pytest.mark.parametrize("target", ["//etc/passwd", "///etc/passwd", "/%2F%2Fetc%2Fpasswd"])
def test_escapes_from_the_server_root_are_404(server, target):
    assert server.get(target)[0] == 404


MALFORMED = [
    "..%5csecret.txt",
    "..%5C..%5Coutside.txt",
    "%5c..%5csecret.txt",
    "..\\secret.txt",
    "index.html%00",
    "index.html%00.png",
    "%00",
    "index.html%0d%0aSet-Cookie:%20x=1",
    "%ff%fe",
    "%C0%AE%C0%AE/secret.txt",  # overlong UTF-8 for ".."
]


@pytest.mark.parametrize("rest", MALFORMED)
def test_backslashes_nul_control_characters_and_bad_utf8_are_400(server, rest):
    assert server.get(server.base + rest)[0] == 400, rest


@pytest.mark.parametrize(
    "target",
    ["http://evil.example/etc/passwd", "http://127.0.0.1:{port}{base}", "HTTP://x/{base}",
     "etc/passwd", "*", "evil.example:80"],
)
def test_targets_that_are_not_a_path_are_400(server, target):
    target = target.format(port=server.port, base=server.base)
    assert server.get(target)[0] == 400, target


def test_answers_do_not_name_the_python_version(server):
    for method in ("GET", "FOO"):
        head = server.get(server.base, method=method)[1]
        assert b"Python" not in head, head


def test_a_request_line_too_long_gets_a_short_answer(server):
    status, _, body = server.get(server.base + "a" * 70000)
    assert status == 414 and len(body) < 200


# --- DNS rebinding: only our own names ---------------------------------------------------

FOREIGN = [
    "evil.example:{port}",
    "evil.example",
    "127.0.0.1.evil.example:{port}",
    "localhost.evil.example:{port}",
    "localhost:{other}",
    "127.0.0.1:{other}",
    "127.0.0.1",
    "localhost",
    "[::1]",
    "[::1]:{other}",
    "[::ffff:127.0.0.1]:{port}",
    "127.1:{port}",
    "0.0.0.0:{port}",
    "localhost.:{port}",
    "127.0.0.1:{port}@evil.example",
    "evil.example:{port}/127.0.0.1:{port}",
    "",
]


@pytest.mark.parametrize("host", FOREIGN)
@pytest.mark.parametrize("path", ["", "2022/third-way/", "no-such-page.html", "%2Fetc%2Fpasswd"])
def test_foreign_hosts_are_421(server, host, path):
    host = host.format(port=server.port, other=server.port + 1)
    status, _, body = server.get(server.base + path, host=host)
    assert status == 421, host
    assert b"Front page" not in body and b"Third Way" not in body and b"Nothing here" not in body


@pytest.mark.parametrize("method", ["GET", "HEAD", "POST"])
def test_the_event_stream_refuses_foreign_hosts(server, method):
    host = f"evil.example:{server.port}"
    target = "/__broadsheet/events?since=0"
    status, _, body = server.get(target, host=host, method=method, first_line_only=True)
    assert status == 421 and b"retry" not in body


@pytest.mark.parametrize("host", ["127.0.0.1:{port}", "localhost:{port}", "LocalHost:{port}",
                                  "[::1]:{port}"])
def test_our_own_names_are_served(server, host):
    status, _, body = server.get(server.base, host=host.format(port=server.port))
    assert status == 200 and b"Front page" in body


def test_host_header_is_required_in_http_1_1_and_must_be_single(server):
    assert server.get(server.base, send_host=False)[0] == 400
    request = (f"GET {server.base} HTTP/1.1\r\nHost: 127.0.0.1:{server.port}\r\n"
               "Host: evil.example\r\n\r\n").encode()
    assert server.raw(request)[0] == 400


def test_http_1_0_without_host_is_served(server):
    status, _, body = server.get(server.base, send_host=False, version="HTTP/1.0")
    assert status == 200 and b"Front page" in body


# --- methods ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "method", ["POST", "PUT", "DELETE", "PATCH", "OPTIONS", "TRACE", "CONNECT", "PROPFIND", "FOO"]
)
def test_other_methods_are_405_with_allow(server, method):
    status, head, body = server.get(server.base, method=method)
    assert status == 405
    assert b"\r\nAllow: GET, HEAD" in head
    assert b"Front page" not in body and b"501" not in body


def test_options_star_is_405(server):
    assert server.get("*", method="OPTIONS")[0] == 405


# --- the resolver and the host check as pure functions -----------------------------------


def test_resolve_maps_targets_to_files_redirects_and_statuses(tmp_path):
    output = make_site(tmp_path) / "site"
    real = output.resolve()
    assert serve.resolve(output, "/archive/", "/archive/") == real / "index.html"
    assert serve.resolve(output, "/archive/", "/archive/2022/third-way/?x") == (
        real / "2022/third-way/index.html"
    )
    assert serve.resolve(output, "/archive/", "/archive/2022") == "/archive/2022/"
    assert serve.resolve(output, "/archive/", "/archive") == "/archive/"
    assert serve.resolve(output, "/", "/2022/third-way") == "/2022/third-way/"
    assert serve.resolve(output, "/archive/", "/archive/%2Fetc%2Fpasswd") == 404
    assert serve.resolve(output, "/", "/%2Fetc%2Fpasswd") == 404
    assert serve.resolve(output, "/", "/link-out.txt") == 404
    assert serve.resolve(output, "/", "/folder/") == 404
    assert serve.resolve(output, "/", "/a%00") == 400
    assert serve.resolve(output, "/", "http://evil.example/") == 400


def test_allowed_host():
    assert serve.allowed_host("127.0.0.1:8000", 8000)
    assert serve.allowed_host("[::1]:8000", 8000)
    assert serve.allowed_host("localhost:8000", 8000)
    assert serve.allowed_host("localhost", 80)  # a browser leaves out the default port
    assert not serve.allowed_host("localhost", 8000)
    assert not serve.allowed_host("evil.example:8000", 8000)
    assert not serve.allowed_host("localhost:8001", 8000)


@pytest.mark.parametrize("site", ["cross-site", "same-site"])
def test_another_sites_page_cannot_read_the_preview(server, site):
    """A page elsewhere could load our search files with <script src> (they are scripts, for
    file://) and read the archive, drafts included: browsers say where a request comes from."""
    request = (f"GET {server.base}search/doc/0.js HTTP/1.1\r\nHost: 127.0.0.1:{server.port}\r\n"
               f"Sec-Fetch-Site: {site}\r\nConnection: close\r\n\r\n").encode()
    status, _, _ = server.raw(request)
    assert status == 403


def test_our_own_pages_requests_are_served_and_marked_same_origin(server):
    for fetch_site in ("same-origin", "none"):
        request = (f"GET {server.base} HTTP/1.1\r\nHost: 127.0.0.1:{server.port}\r\n"
                   f"Sec-Fetch-Site: {fetch_site}\r\nConnection: close\r\n\r\n").encode()
        status, head, _ = server.raw(request)
        assert status == 200 and b"Cross-Origin-Resource-Policy: same-origin" in head


def test_an_idle_connection_does_not_hold_up_stopping(tmp_path, monkeypatch):
    monkeypatch.setattr(serve.Handler, "timeout", 0.5)
    running = Running(make_site(tmp_path), "/")
    idle = socket.create_connection(("127.0.0.1", running.port))
    try:
        stopper = threading.Thread(target=running.close)
        stopper.start()
        stopper.join(timeout=5)
        assert not stopper.is_alive(), "the preview waited for a client that says nothing"
    finally:
        idle.close()
