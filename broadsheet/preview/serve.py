"""`python build.py serve`: a live preview that rebuilds on save and never falls over.

The preview builds into `site/` with the ordinary pipeline, which swaps a complete new tree in
atomically, so a request always sees one whole build. The server adds two things that the
published site never contains: a small script, injected into HTML responses, that listens on
`/__broadsheet/events` (server-sent events) and reloads the page after each rebuild; and,
while the last build failed, an overlay listing its diagnostics. Rebuilds are the ordinary
incremental build: only what the change touches is parsed, rendered and written.

What it exposes: the files of the output folder (`site/`) under the site's base path, and the
event stream, on 127.0.0.1 only, to GET and HEAD only. Every request target is decoded once and
resolved with symlinks followed; anything that lands outside the output folder, a folder
without `index.html` (there are no listings), or a target with `..`, an empty segment, a
backslash or a control character is refused (404, or 400 for a malformed target); other
methods get 405. A `Host` header other than `127.0.0.1`, `localhost` or `[::1]` with the
server's port gets 421, so a web page that rebinds its own name to 127.0.0.1 cannot read the
preview or its event stream.
"""

from __future__ import annotations

import html
import http.server
import mimetypes
import os
import re
import shutil
import signal
import sys
import threading
import time
import urllib.parse
from collections.abc import Callable
from pathlib import Path

from ..config import CONFIG_FILE, Config
from ..diagnostics import Diagnostic, has_errors
from ..pipeline import Session, build
from ..workers import Rendered
from .watch import ChangeCollector, Watcher

EVENTS = "/__broadsheet/events"
# Sec-Fetch-Site values of requests from our own pages, or typed in by the writer (browsers
# send the header; tools like curl send none, which counts as "none").
SAME_ORIGIN = ("same-origin", "none")
METHODS = ("GET", "HEAD")
LOCAL_NAMES = ("127.0.0.1", "localhost", "[::1]")
EARLY_PAGES = 200  # a rebuild that renders more than this many pages is served once written
LoadConfig = Callable[[], tuple[Config, list[Diagnostic]]]
Report = Callable[[list[Diagnostic]], None]


class Preview:
    """What the request handlers need to know, shared with the rebuild loop: the current
    config, the number of finished builds, the diagnostics of the last failed one, and the
    pages a running rebuild has rendered already."""

    def __init__(self, config: Config) -> None:
        self.config = config
        self.generation = 0
        self.errors: list[Diagnostic] = []
        self.early: dict[str, bytes] = {}  # site path -> page, until the rebuild is written
        self.stopping = False
        self.changed = threading.Condition()

    def rendered(self, pages: dict[str, Rendered]) -> None:
        """A rebuild has rendered the pages that changed: serve them (and reload) now, while
        it finishes the search index, feeds and the write, some 0.3 s at 10,000 articles.
        Until then the site served is the last build with these pages of the next one. A
        theme change renders every page: those wait for the write."""
        if not pages or len(pages) > EARLY_PAGES:
            return
        try:
            early = {path: page.file.read_bytes() for path, page in pages.items()}
        except OSError:
            return
        with self.changed:
            self.early, self.errors = early, []  # no error so far: the overlay goes
            self.generation += 1
            self.changed.notify_all()

    def early_page(self, file: Path) -> bytes | None:
        """The page a running rebuild rendered in place of `file` (resolved, in the output)."""
        with self.changed:
            if not self.early:
                return None
            root = os.path.realpath(self.config.output)
            return self.early.get(os.path.relpath(file, root).replace(os.sep, "/"))

    def finished(self, config: Config, errors: list[Diagnostic]) -> None:
        """A build ended: the pages reload unless its rendered pages were served already
        and it went on to write them."""
        with self.changed:
            served = bool(self.early) and not errors
            self.config, self.errors, self.early = config, errors, {}
            if not served:
                self.generation += 1
            self.changed.notify_all()

    def stop(self) -> None:
        with self.changed:
            self.stopping = True
            self.changed.notify_all()

    def wait(self, seen: int, timeout: float) -> int:
        """The generation once it differs from `seen`, or after `timeout` seconds."""
        with self.changed:
            self.changed.wait_for(lambda: self.generation != seen or self.stopping, timeout)
            return self.generation


class Handler(http.server.BaseHTTPRequestHandler):
    """Serves the built site below `config.base_path`, plus the reload event stream."""

    preview: Preview  # set on the subclass made by `make_server`
    server_version = "BroadsheetPreview"
    timeout = 10  # seconds a silent connection is kept: an idle client must not hold up Ctrl-C
    error_message_format = "%(code)d %(message)s\n"  # the standard library's own refusals
    error_content_type = "text/plain; charset=utf-8"

    def version_string(self) -> str:
        return self.server_version  # without the Python version

    def log_message(self, format: str, *args: object) -> None:
        """Request logs would drown the rebuild reports on the terminal."""

    def parse_request(self) -> bool:
        """The gate before any `do_` method: foreign hosts, other methods and targets that
        are not a path are answered here (so an unknown method never reaches the standard
        library's 501 page)."""
        if not super().parse_request():
            return False
        hosts = self.headers.get_all("Host") or []
        port = self.server.server_address[1]
        status = refusal(self.command, self.path, hosts, self.request_version, port)
        if status is None and self.headers.get("Sec-Fetch-Site", "none") not in SAME_ORIGIN:
            status = 403  # another site's page asking (a <script src> reads our search files)
        if status is None:
            return True
        self.close_connection = True  # an unread request body must not pass for a request
        self._refuse(status, self.command != "HEAD")
        return False

    def do_HEAD(self) -> None:
        self.do_GET(body=False)

    def do_GET(self, body: bool = True) -> None:
        path, _, query = self.path.partition("?")
        if path == EVENTS:
            return self._events(query)
        config = self.preview.config
        found = resolve(config.output, config.base_path, self.path)
        if isinstance(found, Path):
            if (early := self.preview.early_page(found)) is not None:
                return self._send(200, _content_type(found.name), self._decorate(early), body)
            return self._file(found, 200, body)
        if isinstance(found, str):
            return self._redirect(found)
        if found == 404:
            return self._not_found(body)
        self._refuse(found, body)

    def _file(self, file: Path, status: int, body: bool) -> None:
        try:
            data = file.read_bytes()
        except OSError:  # replaced by a rebuild between the check and the read
            return self._send(404, "text/plain; charset=utf-8", b"not found\n", body)
        kind = _content_type(file.name)
        if kind.startswith("text/html"):
            data = self._decorate(data)
        self._send(status, kind, data, body)

    def _not_found(self, body: bool) -> None:
        page = resolve(self.preview.config.output, "/", "/404.html")
        if isinstance(page, Path):
            return self._file(page, 404, body)
        self._send(404, "text/html; charset=utf-8", self._decorate(b"<p>Not found</p>"), body)

    def _decorate(self, page: bytes) -> bytes:
        """Inject the reload script (and the error overlay while a build is failing)."""
        with self.preview.changed:
            generation, errors = self.preview.generation, list(self.preview.errors)
        extra = (overlay(errors) if errors else "") + reload_script(generation)
        return inject(page, extra.encode("utf-8"))

    def _events(self, query: str) -> None:
        """Server-sent events: one `reload` event once the build generation moves on."""
        seen = _int(urllib.parse.parse_qs(query).get("since", ["0"])[0])
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Cache-Control", "no-store")
        self.end_headers()
        try:
            self.wfile.write(b"retry: 1000\n\n")
            self.wfile.flush()
            while True:
                generation = self.preview.wait(seen, timeout=15)
                if self.preview.stopping:
                    return
                message = b": keep-alive\n\n"
                if generation != seen:
                    message = f"event: reload\ndata: {generation}\n\n".encode()
                    seen = generation
                self.wfile.write(message)
                self.wfile.flush()
        except OSError:  # the page went away
            return

    def _refuse(self, status: int, body: bool) -> None:
        """A short plain-text answer that names the status and nothing else."""
        extra = {"Allow": ", ".join(METHODS)} if status == 405 else {}
        message = f"{status} {http.HTTPStatus(status).phrase}\n".encode()
        self._send(status, "text/plain; charset=utf-8", message, body, extra)

    def _redirect(self, target: str) -> None:
        self.send_response(302)
        self.send_header("Location", target)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def _send(
        self, status: int, kind: str, data: bytes, body: bool, extra: dict[str, str] | None = None
    ) -> None:
        self.send_response(status)
        for name, value in (extra or {}).items():
            self.send_header(name, value)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(data)))
        self.send_header("Cache-Control", "no-store")
        self.send_header("Cross-Origin-Resource-Policy", "same-origin")
        self.end_headers()
        if body:
            self.wfile.write(data)


class Server(http.server.ThreadingHTTPServer):
    """Joins its request threads on close (no strays); quiet about clients that hang up."""

    daemon_threads = False
    block_on_close = True

    def handle_error(self, request: object, client_address: object) -> None:
        """A browser closing a connection early is normal."""


def make_server(preview: Preview, port: int) -> Server:
    handler = type("PreviewHandler", (Handler,), {"preview": preview})
    return Server(("127.0.0.1", port), handler)


def refusal(method: str, target: str, hosts: list[str], version: str, port: int) -> int | None:
    """The status that turns a request away before any file is looked at, or None.

    A browser always sends `Host`, and a DNS-rebinding page sends its own name there, so a
    request without one (HTTP/1.0, or a tool like `nc`) cannot be that attack and is served;
    HTTP/1.1 requires the header, so there its absence, like a repeated one, is 400. The
    absolute form (`GET http://host/x`) is for proxies, which we are not: 400."""
    if len(hosts) > 1 or (not hosts and version >= "HTTP/1.1"):
        return 400
    if hosts and not allowed_host(hosts[0], port):
        return 421
    if method not in METHODS:
        return 405
    return None if target.startswith("/") else 400


def allowed_host(host: str, port: int) -> bool:
    """Whether a `Host` header names this server: a loopback name with our port (a browser
    leaves the port out when it is 80, so then the bare name is ours too). Other names that
    reach 127.0.0.1 (`127.1`, `localhost.`, `[::ffff:127.0.0.1]`) are refused: no link of
    ours uses them, and a rebinding attack arrives under a name we do not know."""
    name = host.strip().lower()
    return name in {f"{n}:{port}" for n in LOCAL_NAMES} or (port == 80 and name in LOCAL_NAMES)


def resolve(output: Path, base: str, target: str) -> Path | str | int:
    """The file a request target names below `output`, the path to redirect to (a folder
    without its slash, or the base path without its own), or the status refusing it.

    The path is percent-decoded once (so `%252e` stays the name `%2e`); a backslash, a control
    character or bad UTF-8 makes it malformed (400). Empty, `.` and `..` segments are refused
    rather than normalised: a browser never sends them, so they only come from someone probing.
    What remains is joined to `output` and resolved with symlinks followed; anything outside
    the resolved `output`, and a folder without `index.html`, is 404."""
    if not target.startswith("/"):
        return 400
    try:
        path = urllib.parse.unquote_to_bytes(target.partition("?")[0]).decode("utf-8")
    except UnicodeDecodeError:
        return 400
    if "\\" in path or any(c < " " or c == "\x7f" for c in path):
        return 400
    if path == base.rstrip("/") or (path == "/" and base != "/"):
        return urllib.parse.quote(base)
    if not path.startswith(base):
        return 404
    names = path[len(base) :].split("/")
    folder = names[-1] == ""
    names = names[:-1] if folder else names
    if any(name in ("", ".", "..") for name in names):
        return 404
    root = os.path.realpath(output)
    file = os.path.realpath(os.path.join(root, *names))
    if os.path.isdir(file) and _inside(root, file):
        if not folder:
            return urllib.parse.quote(base + "/".join(names) + "/")
        file = os.path.realpath(os.path.join(file, "index.html"))
    elif folder:
        return 404  # `page.html/`
    return Path(file) if _inside(root, file) and os.path.isfile(file) else 404


def _inside(root: str, path: str) -> bool:
    return os.path.commonpath([root, path]) == root


def reload_script(generation: int) -> str:
    return (
        "<script>(function(){var s=new EventSource("
        f'"{EVENTS}?since={generation}");'
        's.addEventListener("reload",function(){s.close();location.reload();});})();</script>\n'
    )


def overlay(errors: list[Diagnostic]) -> str:
    """The build's diagnostics over the last good page, escaped: messages quote user text."""
    items = "".join(f"<li>{html.escape(d.format())}</li>" for d in sorted(errors))
    return (
        '<div id="broadsheet-build-error" role="alert" style="position:fixed;inset:0 0 auto 0;'
        "z-index:2147483647;max-height:80vh;overflow:auto;margin:0;padding:1em 1.5em;"
        "background:#fff0f0;color:#600;border-bottom:3px solid #c00;font:14px/1.5 monospace;"
        'white-space:pre-wrap"><strong>Build failed; showing the last good build.</strong>'
        f"<ul>{items}</ul>Fix the file and save: the page reloads by itself.</div>\n"
    )


def inject(page: bytes, extra: bytes) -> bytes:
    """`extra` just before the last `</body>` (or at the end of a page without one)."""
    matches = list(re.finditer(rb"</body\s*>", page, re.IGNORECASE))
    if not matches:
        return page + extra
    at = matches[-1].start()
    return page[:at] + extra + page[at:]


def run(config: Config, port: int, load_config: LoadConfig, report: Report) -> int:
    """Serve and rebuild until SIGINT or SIGTERM; 2 when the port cannot be opened."""
    preview = Preview(config)
    try:
        server = make_server(preview, port)
    except OSError as exc:
        print(
            f"error: cannot serve on 127.0.0.1:{port} ({exc.strerror or exc}); "
            f"is another preview running? Try --port {port + 1 if port else 8001}",
            file=sys.stderr,
        )
        return 2
    before = _scratch_folders(config)
    stop = threading.Event()
    previous = {sig: signal.signal(sig, _interrupt) for sig in (signal.SIGINT, signal.SIGTERM)}
    collector = ChangeCollector(config)
    thread = threading.Thread(target=server.serve_forever, name="preview-http")
    session = Session(config, preview.rendered)
    try:
        with Watcher(config, collector):
            _rebuild(preview, config, report, "built", session=session)
            thread.start()
            url = f"http://127.0.0.1:{server.server_address[1]}{config.base_path}"
            print(f"serving {url} (Ctrl-C to stop)", flush=True)
            while (batch := collector.next_batch(stop)) is not None:
                if CONFIG_FILE in batch:
                    new, problems = load_config()
                    if has_errors(problems):
                        report(problems)
                        preview.finished(preview.config, problems)
                        print("rebuild failed: broadsheet.yml has errors", flush=True)
                        continue
                    config = new
                    session.close()  # the cache belongs to the old config
                    session = Session(config, preview.rendered)
                session.changed(batch)
                _rebuild(preview, config, report, "rebuilt", sorted(batch), session=session)
    except KeyboardInterrupt:
        pass
    finally:
        for sig in previous:
            signal.signal(sig, signal.SIG_IGN)  # a second Ctrl-C must not cut the clean-up short
        stop.set()
        preview.stop()
        if thread.is_alive():
            server.shutdown()
        server.server_close()
        for folder in _scratch_folders(config) - before:  # a build interrupted mid-clean-up
            shutil.rmtree(folder, ignore_errors=True)
        session.close()
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    print("stopped", flush=True)
    return 0


def _rebuild(
    preview: Preview,
    config: Config,
    report: Report,
    verb: str,
    changed: list[str] | None = None,
    session: Session | None = None,
) -> None:
    """One incremental build; the terminal and open pages learn how it went."""
    start = time.perf_counter()
    result = build(config, session=session)
    seconds = time.perf_counter() - start
    report(result.diagnostics)
    errors = [d for d in result.diagnostics if d.severity == "error"]
    preview.finished(config, errors)
    what = ""
    if changed:
        what = f" after {', '.join(changed[:3])}" + (
            f" and {len(changed) - 3} more" if len(changed) > 3 else ""
        )
    if errors:
        print(
            f"rebuild failed{what}: {len(errors)} error{'s' * (len(errors) != 1)}; "
            "serving the last good build",
            flush=True,
        )
    else:
        print(
            f"{verb} in {seconds:.2f} s ({result.articles} articles; {result.pages_rendered} "
            f"of {result.pages} pages rendered, {result.files_written} files written){what}",
            flush=True,
        )


def _interrupt(signum: int, frame: object) -> None:
    """SIGTERM ends the preview the same way as Ctrl-C."""
    raise KeyboardInterrupt


def _scratch_folders(config: Config) -> set[Path]:
    name = config.output.name
    return {folder for kind in ("new", "old", "render")
            for folder in config.output.parent.glob(f".{name}.{kind}-*")}


def _content_type(name: str) -> str:
    kind = mimetypes.guess_type(name)[0] or "application/octet-stream"
    return kind + ("; charset=utf-8" if kind.startswith("text/") or kind.endswith("script") else "")


def _int(text: str) -> int:
    return int(text) if text.isdigit() else 0
