"""Watch the sources of the site and turn bursts of file events into single batches.

An editor's atomic save or a `git checkout` produces dozens of events within milliseconds; a
rebuild per event would be wasted work and a flickering preview. Events are collected until
the file system has been quiet for a moment, then handed over as one set of changed paths.
Only changes that can alter the site count: editor swap and temp files are ignored, and so
are the `opened`/`closed` events that the build itself causes by reading the sources.
"""

from __future__ import annotations

import threading
import time
from pathlib import Path

from watchdog.events import (
    EVENT_TYPE_CREATED,
    EVENT_TYPE_DELETED,
    EVENT_TYPE_MODIFIED,
    EVENT_TYPE_MOVED,
    FileSystemEvent,
    FileSystemEventHandler,
)
from watchdog.observers import Observer

from ..config import CONFIG_FILE, Config
from ..read import sources

_CHANGES = {EVENT_TYPE_CREATED, EVENT_TYPE_DELETED, EVENT_TYPE_MODIFIED, EVENT_TYPE_MOVED}

# Vim (`.x.swp`, `x~`, its `4913` probe), Emacs (`.#x`, `#x#`), JetBrains, and generic temp files.
ignored = sources.ignored  # the walk leaves the same files out, so the preview agrees with it


class ChangeCollector(FileSystemEventHandler):
    """Collects relevant changes below `config.root`; `next_batch` hands them out debounced."""

    # An editor's save (a temporary written, then renamed over the file) is a burst of events
    # a few milliseconds long; 50 ms of quiet ends it without costing a tenth of the 0.5 s
    # from save to served page.
    def __init__(self, config: Config, quiet: float = 0.05, longest: float = 3.0) -> None:
        super().__init__()
        self.root = config.root
        self.folders = [config.content, config.templates, config.static]
        self.config_file = config.root / CONFIG_FILE
        self.quiet, self.longest = quiet, longest
        self._lock = threading.Lock()
        self._pending: set[str] = set()
        self._born: set[str] = set()  # created during the current burst
        self._first = self._last = 0.0
        self._arrived = threading.Event()

    def relevant(self, path: str) -> str | None:
        """The repository-relative path if a change of `path` can alter the site, else None."""
        if not path:
            return None
        file = Path(path)
        if file == self.config_file:
            return CONFIG_FILE
        if ignored(file.name):
            return None
        for folder in self.folders:
            if file == folder or file.is_relative_to(folder):
                rel = file.relative_to(self.root)
                return None if any(ignored(part) for part in rel.parts) else rel.as_posix()
        return None

    def on_any_event(self, event: FileSystemEvent) -> None:
        if event.event_type not in _CHANGES:
            return
        if event.is_directory and event.event_type == EVENT_TYPE_MODIFIED:
            return  # a file inside changed; that file's own event is what matters
        paths = {self.relevant(_text(event.src_path)), self.relevant(_text(event.dest_path))}
        paths.discard(None)
        if not paths:
            return
        with self._lock:
            now = time.monotonic()
            if not self._pending:
                self._first = now
            if event.event_type == EVENT_TYPE_CREATED:  # new in this burst, not re-created
                self._born.update(paths - self._pending)  # type: ignore[operator]
            self._pending.update(paths)  # type: ignore[arg-type]
            self._last = now
        self._arrived.set()

    def next_batch(self, stop: threading.Event, poll: float = 0.25) -> set[str] | None:
        """Block until a burst of changes has settled; None once `stop` is set. A burst that
        never settles is still handed over after `longest` seconds so the preview keeps up."""
        while not stop.is_set():
            if not self._arrived.wait(poll):
                continue
            with self._lock:
                now = time.monotonic()
                settled = now - self._last >= self.quiet or now - self._first >= self.longest
                if settled:
                    batch, born = self._pending, self._born
                    self._pending, self._born = set(), set()
                    self._arrived.clear()
                    # A file born and gone within one burst was a temporary (`sed -i`'s, an
                    # editor's save file): it never was part of the site.
                    batch = {p for p in batch if p not in born or (self.root / p).exists()}
                    if batch:
                        return batch
                    continue
                wait = self.quiet - (now - self._last)
            stop.wait(max(wait, 0.01))
        return None


class Watcher:
    """A watchdog observer on the source folders and the config file, started and stopped as
    one unit so that shutting down leaves no threads behind."""

    def __init__(self, config: Config, collector: ChangeCollector) -> None:
        self.observer = Observer()
        for folder in (config.content, config.templates, config.static):
            if folder.is_dir():
                self.observer.schedule(collector, str(folder), recursive=True)
        # Non-recursive: the root also holds site/ and the build's temporary folders.
        self.observer.schedule(collector, str(config.root), recursive=False)

    def __enter__(self) -> Watcher:
        self.observer.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.observer.stop()
        self.observer.join(timeout=5)


def _text(path: str | bytes) -> str:
    return path.decode() if isinstance(path, bytes) else path
