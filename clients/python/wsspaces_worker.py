"""WebSocket Spaces worker library: connect a Python model to a site in a few lines.

A single file on python-socketio (``pip install "python-socketio[client]"``, or Debian's
``python3-socketio`` + ``python3-websocket``). It speaks the worker protocol of
docs/worker-protocol.md the way the TypeScript SDK (``@wsspaces/worker``) does::

    from wsspaces_worker import Worker

    worker = Worker("http://127.0.0.1:5001", token="wss_...", space="Echo", capacity=2)

    @worker.handler
    def infer(request, ctx):
        ctx.progress(0.1, "loading")
        for word in request.prompt.split():
            if ctx.cancelled.is_set():
                return None          # the site no longer wants this result
            ctx.stream(word + " ")
        return {"text_output": request.prompt.upper()}

    worker.run()                     # Ctrl+C once drains, twice quits

What it does on the wire: registers with the token, capacity and name; sends ``accept`` when a
handler starts, ``progress`` and numbered ``stream`` events while it runs (paced so a handler
may call them in a tight loop), and ``inference_result`` when it returns (or ``failed`` with the
exception's message when it raises). Handlers run in a thread pool of ``capacity`` threads. A
``cancel_request`` sets ``ctx.cancelled`` and drops the result. After a dropped connection it
reconnects with backoff and jitter and registers with ``resume_id``, so within the server's
grace period it keeps its requests; results made while cut off are kept and sent again until
the server acknowledges them.
"""

import io
import json
import logging
import os
import queue
import random
import shutil
import signal
import socket
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from datetime import datetime

import socketio

__all__ = ["Worker", "Request", "Context", "WorkerError", "Cancelled"]
__version__ = "0.1.0"

log = logging.getLogger("wsspaces_worker")

# Protocol limits (packages/protocol/src/worker-events.ts): longer values get an event refused.
MAX_CAPACITY = 64
MAX_LABEL = 100
MAX_PROGRESS_MESSAGE = 1000
MAX_ERROR_MESSAGE = 10000

# Pacing of live updates, as the TypeScript SDK does: the server disconnects a socket that sends
# more than 200 events per second, and a model streaming tokens easily would.
PROGRESS_INTERVAL = 0.1
STREAM_INTERVAL = 0.025

UNAVAILABLE_RETRY = 1.0
CONNECT_TIMEOUT = 10


class WorkerError(Exception):
    """A failure with a stable code: the server's (``invalid_token``, ``space_not_found``, ...)
    or the library's own (``connect_failed``, ``register_timeout``, ``worker_stopped``)."""

    def __init__(self, message, code):
        super().__init__(message)
        self.code = code
        self.message = message


class Cancelled(Exception):
    """Raised by ``ctx.check_cancelled()`` once the request was cancelled or timed out."""


class Request:
    """An ``inference_request``: ``prompt``, ``payload`` (every input), ``files`` and the rest."""

    def __init__(self, message):
        self.raw = message
        self.request_id = message["request_id"]
        self.payload = message.get("payload") or {}
        self.prompt = self.payload.get("prompt", "")
        self.files = message.get("files") or []
        self.username = message.get("username", "")
        self.space_id = message.get("space_id", "")
        self.space_name = message.get("space_name", "")
        self.attempt = message.get("attempt", 1)
        self.deadline = message.get("deadline")

    def read_file(self, file, timeout=60):
        """Downloads one of ``files`` (its signed URL works until the deadline) and returns bytes."""
        with urllib.request.urlopen(file["url"], timeout=timeout) as response:
            return response.read()

    def download(self, file, directory=None, timeout=60):
        """Downloads one of ``files`` to a local path (streamed, in 1 MiB pieces) and returns it.
        Without ``directory`` it goes to a new temporary directory, which the caller removes."""
        directory = directory or tempfile.mkdtemp(prefix="wsspaces-")
        path = os.path.join(directory, "%s-%s" % (file.get("id", "file"), os.path.basename(file["name"])))
        with urllib.request.urlopen(file["url"], timeout=timeout) as response, open(path, "wb") as out:
            shutil.copyfileobj(response, out, 1024 * 1024)
        return path

    def __repr__(self):
        return "Request(%r, prompt=%r)" % (self.request_id, self.prompt)


class Context:
    """What a handler gets beside the request: progress, stream and the cancel flag."""

    def __init__(self, job):
        self._job = job
        self.request_id = job.request.request_id
        self.attempt = job.request.attempt
        self.deadline = _parse_time(job.request.deadline)
        #: Set when the site cancels the request (user cancel, timeout) or the worker gives up
        #: on it while stopping; the handler's result is then dropped.
        self.cancelled = job.cancelled

    @property
    def cancel_reason(self):
        return self._job.cancel_reason

    def progress(self, fraction=None, message=None):
        """Reports progress (0..1) and/or a status line; a no-op once cancelled or finished."""
        self._job.progress(fraction, message)

    def stream(self, chunk):
        """Sends partial output: a text delta or any JSON value; a no-op once cancelled or finished."""
        self._job.stream(chunk)

    def check_cancelled(self):
        """Raises :class:`Cancelled` if the request was cancelled: a one-line stop point."""
        if self.cancelled.is_set():
            raise Cancelled(self._job.cancel_reason or "cancelled")

    def attach(self, name, data, mime=None):
        """Adds an output file: ``bytes``, or the path of a file on disk. Small byte strings go
        inline with the result (Socket.IO binary attachments); anything larger, and files on
        disk, are uploaded now with PUT, streamed. They are listed with the request's result."""
        self._job.attach(name, data, mime)


def _parse_time(value):
    if not value:
        return None
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None


class _Job:
    """One running request: its cancel flag and its paced progress and stream updates."""

    def __init__(self, worker, request):
        self.worker = worker
        self.request = request
        self.cancelled = threading.Event()
        self.cancel_reason = None
        self.finished = False
        self.started = time.monotonic()
        self._lock = threading.Lock()
        self._seq = 0
        self._chunks = []  # waiting stream chunks; adjacent strings are merged
        self._progress = None  # waiting progress message
        self._progress_sent_at = 0.0
        self.files = []  # output files sent inline with the result
        self._inline_bytes = 0

    def attach(self, name, data, mime):
        if isinstance(data, (bytes, bytearray)) and self._inline_bytes + len(data) <= self.worker._max_inline_file_bytes:
            self._inline_bytes += len(data)
            item = {"name": name, "data": bytes(data)}
            if mime:
                item["mime"] = mime
            self.files.append(item)
            return
        if isinstance(data, (bytes, bytearray)):
            self.worker._upload_output(self.request.request_id, name, io.BytesIO(data), len(data), mime)
        else:
            with open(data, "rb") as body:
                self.worker._upload_output(self.request.request_id, name, body, os.fstat(body.fileno()).st_size, mime)

    def live(self):
        return not self.finished and not self.cancelled.is_set()

    def progress(self, fraction, message):
        if not self.live():
            return
        update = {"request_id": self.request.request_id}
        if isinstance(fraction, (int, float)) and not isinstance(fraction, bool) and fraction == fraction:
            # Clamped rather than refused: a rounding error should not lose the update.
            update["progress"] = min(1.0, max(0.0, float(fraction)))
        if message is not None:
            update["message"] = str(message)[:MAX_PROGRESS_MESSAGE]
        if len(update) == 1:
            return
        with self._lock:
            now = time.monotonic()
            if self._progress is None and now - self._progress_sent_at >= PROGRESS_INTERVAL:
                self._progress_sent_at = now
                self.worker._emit_live("progress", update)
                return
            # Keep a message a newer bare fraction lacks: "step 3/5" should survive.
            merged = dict(self._progress or {})
            merged.update(update)
            self._progress = merged
        self.worker._wake_pacer()

    def stream(self, chunk):
        if not self.live() or chunk is None:
            return
        with self._lock:
            if isinstance(chunk, str) and self._chunks and isinstance(self._chunks[-1], str):
                self._chunks[-1] += chunk
            else:
                self._chunks.append(chunk)
        self.worker._wake_pacer()

    def flush(self, force=False):
        """Sends what waits (progress only once its interval passed, unless forced); True if
        something still waits."""
        with self._lock:
            chunks, self._chunks = self._chunks, []
            for chunk in chunks:
                self.worker._emit_live("stream", {"request_id": self.request.request_id, "chunk": chunk, "seq": self._seq})
                # Numbered even when it cannot be sent, so a gap tells the server one was lost.
                self._seq += 1
            if self._progress is not None:
                now = time.monotonic()
                if force or now - self._progress_sent_at >= PROGRESS_INTERVAL:
                    self.worker._emit_live("progress", self._progress)
                    self._progress = None
                    self._progress_sent_at = now
            return self._progress is not None

    def discard(self):
        with self._lock:
            self._chunks = []
            self._progress = None


class _ThreadPool:
    """``size`` daemon threads taking jobs from a queue. Daemon threads, unlike those of
    concurrent.futures, do not keep the process alive after the worker has given up on a
    handler that ignores ``ctx.cancelled``."""

    def __init__(self, size, target):
        self._queue = queue.Queue()
        self._target = target
        self._size = size
        for index in range(size):
            threading.Thread(target=self._loop, name="wsspaces-job-%d" % (index + 1), daemon=True).start()

    def submit(self, item):
        self._queue.put(item)

    def shutdown(self):
        # One stop marker per thread; queued jobs before them still run (and are dropped as cancelled).
        for _ in range(self._size):
            self._queue.put(None)

    def _loop(self):
        while True:
            item = self._queue.get()
            if item is None:
                return
            self._target(item)


class Worker:
    """A remote worker: dials out to the site, registers for its space(s), runs the handler for
    each request in a thread pool and reports back; survives disconnects by reconnecting and
    resuming.

    :param server: the site, e.g. ``http://127.0.0.1:5001`` (a path prefix is kept).
    :param token: the space's worker token (``wss_...``); None for open registration.
    :param space: the space to serve (a name), or a list of names; leave out to serve the token's own space.
    :param capacity: requests run at once (1..64); also the thread pool's size.
    :param name: shown to admins; defaults to the host name.
    """

    def __init__(self, server, token=None, space=None, capacity=1, name=None, *, spaces=None, version=None,
                 handler=None, reconnect_delay=1.0, reconnect_delay_max=5.0, register_timeout=10.0,
                 max_buffered_results=1000, transports=("websocket", "polling")):
        names = [space] if isinstance(space, str) else list(space or [])
        names += list(spaces or [])
        self.spaces = list(dict.fromkeys(n.strip() for n in names if n and n.strip()))
        if not self.spaces and not token:
            raise ValueError("give the space to serve: Worker(server, token, space='Name'), or a token (it names its own space)")
        if not isinstance(capacity, int) or not 1 <= capacity <= MAX_CAPACITY:
            raise ValueError("capacity must be an integer from 1 to %d" % MAX_CAPACITY)
        parsed = urllib.parse.urlsplit(server)
        if parsed.scheme not in ("http", "https", "ws", "wss") or not parsed.netloc:
            raise ValueError("server must be a URL such as http://127.0.0.1:5001, got %r" % server)

        self.server = server
        self.token = token or None
        self.capacity = capacity
        self.name = ((name or socket.gethostname() or "").strip() or None)
        self.name = self.name[:MAX_LABEL] if self.name else None
        self.version = version[:MAX_LABEL] if version else None
        self.reconnect_delay = reconnect_delay
        self.reconnect_delay_max = max(reconnect_delay, reconnect_delay_max)
        self.register_timeout = register_timeout
        self.max_buffered_results = max(1, int(max_buffered_results))
        self.transports = list(transports)
        self._handler = handler

        # socket.io reads a URL's path as a namespace; ours is "/", so a path prefix (a reverse
        # proxy mount) becomes the engine path instead. The query (e.g. ?token=) is kept.
        prefix = parsed.path.rstrip("/")
        self._url = urllib.parse.urlunsplit((parsed.scheme, parsed.netloc, "", parsed.query, ""))
        self._socketio_path = prefix + "/socket.io"

        self._lock = threading.RLock()
        self._namespace_answer = threading.Event()
        self._emit_lock = threading.Lock()
        self._state = "idle"  # idle -> starting -> running -> stopping -> closed
        self._registered = False
        self._connection_id = None
        self._max_inline_file_bytes = 0
        self._attempt = 0  # registration attempts, to tell their answers apart
        self._start_answer = None
        self._start_event = threading.Event()
        self._closed = threading.Event()
        self._close_error = None
        self._last_connect_error = None
        self._reconnecting = False
        self._jobs = {}
        self._outbox = {}  # request_id -> inference_result not yet acknowledged
        self._idle = threading.Condition(self._lock)
        self._pool = None
        self._pacer_wake = threading.Event()
        self._listeners = {}
        self._stats = {"received": 0, "completed": 0, "failed": 0, "cancelled": 0, "refused": 0}
        self._started_at = None

        # Our own reconnection: python-socketio reconnects only after network failures, not
        # after a disconnect the server chose, and would also retry a revoked token forever.
        self._sio = socketio.Client(reconnection=False, logger=False, handle_sigint=False)
        self._sio.on("connect", self._on_connect)
        self._sio.on("connect_error", self._on_connect_error)
        self._sio.on("disconnect", self._on_disconnect)
        self._sio.on("register_response", self._on_register_event)
        self._sio.on("inference_request", self._on_inference_request)
        self._sio.on("cancel_request", self._on_cancel_request)

    # ---- public API ------------------------------------------------------------------------

    @property
    def connection_id(self):
        """The id the server gave at the last successful registration (the resume handle)."""
        return self._connection_id

    def handler(self, fn):
        """Decorator: ``@worker.handler`` makes ``fn(request, ctx)`` answer every request."""
        self._handler = fn
        return fn

    def handle(self, fn):
        """Callback form of :meth:`handler`; returns the worker for chaining."""
        self._handler = fn
        return self

    def on(self, event, fn):
        """Listens to ``registered``, ``disconnected``, ``request``, ``completed``, ``failed``,
        ``cancelled``, ``delivered`` or ``closed``; listeners run on the library's threads."""
        self._listeners.setdefault(event, []).append(fn)
        return fn

    def start(self):
        """Connects and registers; returns the server's ``register_response``. Raises
        :class:`WorkerError` if the first connection or registration fails."""
        if self._handler is None:
            raise TypeError("set a handler (@worker.handler or worker.handle(fn)) before start()")
        with self._lock:
            if self._state != "idle":
                raise WorkerError("this worker was already started; create a new one", "worker_stopped")
            self._state = "starting"
        self._started_at = time.time()
        self._pool = _ThreadPool(self.capacity, self._run_job)
        threading.Thread(target=self._pacer, name="wsspaces-pacer", daemon=True).start()
        try:
            self._connect()
        except (socketio.exceptions.ConnectionError, ValueError) as err:
            error = self._connect_failure(err)
            self._close(error)
            raise error from None
        if not self._start_event.wait(self.register_timeout):
            error = WorkerError("the server did not answer register within %s s" % self.register_timeout, "register_timeout")
            self._close(error)
            raise error
        answer = self._start_answer
        if isinstance(answer, WorkerError):
            raise answer
        return answer

    def run(self, drain_timeout=10.0):
        """Starts, then serves until stopped: the first SIGINT/SIGTERM drains (finishes the
        requests in flight for up to ``drain_timeout`` seconds), a second quits at once.
        Returns 0 after a clean stop, 1 after a fatal error (revoked token, deleted space)."""
        signals = []

        def on_signal(signum, _frame):
            signals.append(signum)
            name = signal.Signals(signum).name
            if len(signals) > 1:
                log.warning("%s again: quitting without waiting", name)
                os._exit(130)
            log.info("%s received: finishing requests in flight for up to %s s (again to quit now)", name, drain_timeout)
            threading.Thread(target=self.stop, kwargs={"drain_timeout": drain_timeout}, daemon=True).start()

        if threading.current_thread() is threading.main_thread():
            signal.signal(signal.SIGINT, on_signal)
            signal.signal(signal.SIGTERM, on_signal)
        response = self.start()
        log.info("registered as %s for %s (capacity %s)", response["connection_id"],
                 ", ".join(s["name"] for s in response.get("spaces", [])), response.get("capacity"))
        # A timed wait, so signal handlers get to run in the main thread.
        while not self._closed.wait(0.5):
            pass
        stats = self.stats()
        log.info("stopped: %d received, %d completed, %d failed, %d cancelled", stats["received"],
                 stats["completed"], stats["failed"], stats["cancelled"])
        return 1 if self._close_error else 0

    def stop(self, drain_timeout=10.0):
        """Stops taking work, lets requests in flight finish and their results be acknowledged
        for up to ``drain_timeout`` seconds, gives up on the rest, then disconnects."""
        with self._lock:
            if self._state in ("stopping", "closed"):
                # Already on its way out (a second call): wait for that one rather than cut it short.
                close = False
            elif self._state in ("idle", "starting"):
                close = True
                self._state = "stopping"
                self._answer_start(WorkerError("the worker was stopped before it registered", "worker_stopping"))
            else:
                close = True
                self._state = "stopping"
                log.debug("stopping with %d in flight, %d unacknowledged", len(self._jobs), len(self._outbox))
                deadline = time.monotonic() + drain_timeout
                while (self._jobs or self._outbox) and not self._closed.is_set():
                    remaining = deadline - time.monotonic()
                    if remaining <= 0:
                        log.warning("drain timeout reached; giving up on %d request(s) still running", len(self._jobs))
                        break
                    self._idle.wait(remaining)
        if close:
            self._close(None)
        self._closed.wait()

    def stats(self):
        with self._lock:
            stats = dict(self._stats)
            stats["in_flight"] = len(self._jobs)
            stats["started_at"] = self._started_at
            return stats

    # ---- connection ------------------------------------------------------------------------

    def _connect(self):
        """Connects the transport and the "/" namespace; raises ConnectionError on a refusal.

        python-socketio's own wait for the namespace ignores a refusal until its timeout, so
        this waits for either answer itself."""
        self._last_connect_error = None
        self._namespace_answer.clear()
        auth = {"token": self.token} if self.token else None
        self._sio.connect(self._url, auth=auth, transports=self.transports,
                          socketio_path=self._socketio_path, wait=False)
        if not self._namespace_answer.wait(CONNECT_TIMEOUT):
            self._sio.disconnect()
            raise socketio.exceptions.ConnectionError("the server did not answer the connection within %d s" % CONNECT_TIMEOUT)
        if self._last_connect_error is not None:
            # The refused namespace leaves the transport open; the server would close it later.
            self._sio.disconnect()
            raise socketio.exceptions.ConnectionError("connection refused")

    def _connect_failure(self, err):
        data = self._last_connect_error
        if isinstance(data, dict):
            detail = data.get("data") if isinstance(data.get("data"), dict) else {}
            code = detail.get("code") or data.get("code") or "connect_failed"
            message = data.get("message") or detail.get("message") or str(err)
            return WorkerError(message, code)
        if isinstance(data, str) and data:
            return WorkerError("could not connect to %s: %s" % (self.server, data), "connect_failed")
        return WorkerError("could not connect to %s: %s" % (self.server, err), "connect_failed")

    def _on_connect(self, *_args):
        self._namespace_answer.set()
        with self._lock:
            if self._state in ("closed",):
                return
            self._registered = False
            self._attempt += 1
            attempt = self._attempt
            # No space named: the server serves the token's own space.
            message = {"space_name": self.spaces[0], "spaces": self.spaces, "capacity": self.capacity} if self.spaces else {"capacity": self.capacity}
            if self.name:
                message["name"] = self.name
            if self.version:
                message["version"] = self.version
            # Only a token proves the new connection is the same worker; without one the server
            # ignores resume_id anyway.
            if self._connection_id and self.token:
                message["resume_id"] = self._connection_id
        log.debug("registering (attempt %d)", attempt)
        with self._emit_lock:
            self._sio.emit("register", message, callback=lambda response=None: self._on_register_answer(attempt, response))

    def _on_register_event(self, response=None, *_args):
        self._on_register_answer(self._attempt, response)

    def _on_register_answer(self, attempt, response):
        # The answer arrives twice (event and ack); the first one counts.
        with self._lock:
            if attempt != self._attempt or self._registered or self._state == "closed":
                return
            if not isinstance(response, dict):
                return
            if not response.get("success"):
                error = WorkerError(response.get("message") or "registration refused", response.get("code") or "register_failed")
                self._attempt += 1  # ignore the duplicate answer
            else:
                error = None
                self._registered = True
                self._connection_id = response.get("connection_id")
                # Sites before file support give no limit: nothing goes inline there.
                self._max_inline_file_bytes = response.get("max_inline_file_bytes") or 0
                if self._state == "starting":
                    self._state = "running"
        if error is not None:
            if self._state == "starting":
                self._answer_start(error)
                self._close(error)
            elif error.code == "unavailable":
                log.warning("%s; trying again", error.message)
                self._schedule_reconnect()
            else:
                log.error("registration refused: %s", error.message)
                self._close(error)
            return
        log.debug("registered as %s", response.get("connection_id"))
        self._answer_start(response)
        self._fire("registered", response)
        self._flush_outbox()

    def _answer_start(self, answer):
        if not self._start_event.is_set():
            self._start_answer = answer
            self._start_event.set()

    def _on_connect_error(self, data=None, *_args):
        self._last_connect_error = data if data is not None else "refused"
        self._namespace_answer.set()
        code = data.get("data", {}).get("code") if isinstance(data, dict) and isinstance(data.get("data"), dict) else None
        log.debug("connection refused: %s", data)
        if code == "invalid_token" and self._state in ("running", "stopping"):
            # A revoked token: retrying cannot help.
            self._close(WorkerError(data.get("message") or "the worker token was refused", code))

    def _on_disconnect(self, *_args):
        with self._lock:
            self._registered = False
            state = self._state
        if state in ("closed", "starting"):
            return
        log.warning("disconnected; will reconnect")
        self._fire("disconnected")
        self._schedule_reconnect()

    def _schedule_reconnect(self):
        with self._lock:
            if self._reconnecting or self._state == "closed":
                return
            self._reconnecting = True
        threading.Thread(target=self._reconnect_loop, name="wsspaces-reconnect", daemon=True).start()

    def _reconnect_loop(self):
        attempt = 0
        try:
            while not self._closed.is_set():
                attempt += 1
                delay = min(self.reconnect_delay * 2 ** (attempt - 1), self.reconnect_delay_max)
                # Jitter, so workers cut off together do not all come back at the same instant.
                delay *= random.uniform(0.5, 1.5)
                if self._closed.wait(delay):
                    return
                if self._sio.connected:
                    self._sio.disconnect()
                log.info("reconnecting (attempt %d)", attempt)
                try:
                    self._connect()
                    return
                except (socketio.exceptions.ConnectionError, ValueError) as err:
                    error = self._connect_failure(err)
                    if error.code == "invalid_token":
                        self._close(error)
                        return
                    log.debug("reconnection failed: %s", error.message)
        finally:
            with self._lock:
                self._reconnecting = False

    # ---- requests --------------------------------------------------------------------------

    def _on_inference_request(self, message=None, *_args):
        if not isinstance(message, dict) or not isinstance(message.get("request_id"), str):
            log.warning("ignored an inference_request without a request_id")
            return
        request = Request(message)
        rid = request.request_id
        with self._lock:
            self._stats["received"] += 1
            # The server repeats a request after a resume: answer from what we have.
            if rid in self._jobs:
                log.debug("request %s already running", rid)
                self._emit_live("accept", {"request_id": rid})
                return
            if rid in self._outbox:
                self._send_result(self._outbox[rid])
                return
            if self._state != "running":
                # Handed back at once, so the server can give it to another worker.
                self._stats["refused"] += 1
                text = "the worker is stopping and takes no new requests"
                self._put_result({"request_id": rid, "status": "failed",
                                  "error": {"code": "worker_stopping", "message": text}, "result": {"error": text}})
                return
            job = _Job(self, request)
            self._jobs[rid] = job
        self._fire("request", request)
        self._pool.submit(job)

    def _run_job(self, job):
        rid = job.request.request_id
        if job.cancelled.is_set():
            # Cancelled while it waited for a thread: never started, nothing to report.
            with self._lock:
                job.finished = True
                self._jobs.pop(rid, None)
                self._idle.notify_all()
            return
        self._emit_live("accept", {"request_id": rid})
        ok, value = True, None
        try:
            value = self._handler(job.request, Context(job))
            json.dumps(value)  # a result that cannot be sent is the handler's failure
        except Cancelled:
            ok, value = False, "cancelled"
        except Exception as err:  # noqa: BLE001 - any handler error fails the request, by design
            ok, value = False, err
        elapsed_ms = int((time.monotonic() - job.started) * 1000)
        with self._lock:
            job.finished = True
            self._jobs.pop(rid, None)
            if job.cancelled.is_set():
                # The server withdrew it (or we gave up while stopping): a result would be refused.
                job.discard()
                self._idle.notify_all()
                return
            # What the handler streamed goes out before its result.
            job.flush(force=True)
            if ok:
                self._stats["completed"] += 1
                message = {"request_id": rid, "status": "completed", "result": value}
                if job.files:
                    message["files"] = job.files
                self._put_result(message)
            else:
                self._stats["failed"] += 1
                text = (str(value) or type(value).__name__)[:MAX_ERROR_MESSAGE]
                # The copy in result.error is what seed-era servers read.
                self._put_result({"request_id": rid, "status": "failed", "error": {"message": text}, "result": {"error": text}})
            self._idle.notify_all()
        if ok:
            log.info("request %s completed in %d ms", rid, elapsed_ms)
            self._fire("completed", job.request, value, elapsed_ms)
        else:
            log.warning("request %s failed after %d ms: %s", rid, elapsed_ms, value)
            self._fire("failed", job.request, value, elapsed_ms)

    def _upload_output(self, request_id, name, body, size, mime):
        """PUTs one output file to the site, streamed from ``body``, as the connection holding the request."""
        url = "%s/api/v1/worker/requests/%s/files/%s" % (self.server.rstrip("/"), urllib.parse.quote(request_id, safe=""), urllib.parse.quote(name, safe=""))
        headers = {"Content-Type": mime or "application/octet-stream", "Content-Length": str(size), "X-Wsspaces-Connection": self._connection_id or ""}
        if self.token:
            headers["Authorization"] = "Bearer " + self.token
        upload = urllib.request.Request(url, data=body, headers=headers, method="PUT")
        try:
            with urllib.request.urlopen(upload, timeout=300) as response:
                response.read()
        except urllib.error.HTTPError as err:
            detail = err.read().decode("utf-8", "replace")[:300]
            raise RuntimeError("uploading output file %s failed: HTTP %s %s" % (name, err.code, detail)) from None

    def _on_cancel_request(self, message=None, *_args):
        if not isinstance(message, dict):
            return
        rid = message.get("request_id")
        reason = message.get("reason") or "cancelled"
        with self._lock:
            job = self._jobs.get(rid)
            if job is None:
                # Finished but not yet acknowledged: the server no longer wants the result.
                self._outbox.pop(rid, None)
                self._idle.notify_all()
                return
            if not self._cancel(job, reason):
                return
        log.warning("request %s cancelled (%s)", rid, reason)
        self._fire("cancelled", job.request, reason)

    def _cancel(self, job, reason):
        if job.cancelled.is_set():
            return False
        job.cancel_reason = reason
        job.cancelled.set()
        job.discard()
        self._stats["cancelled"] += 1
        return True

    # ---- results ---------------------------------------------------------------------------

    def _put_result(self, message):
        with self._lock:
            self._outbox[message["request_id"]] = message
            while len(self._outbox) > self.max_buffered_results:
                oldest = next(iter(self._outbox))
                log.warning("too many undelivered results; dropped the one for %s", oldest)
                self._outbox.pop(oldest)
        self._send_result(message)

    def _flush_outbox(self):
        with self._lock:
            waiting = list(self._outbox.values())
        for message in waiting:
            self._send_result(message)

    def _send_result(self, message):
        rid = message["request_id"]
        if not self._emit_live("inference_result", message, callback=lambda ack=None: self._on_result_ack(rid, ack)):
            log.debug("result for %s kept until the connection is back", rid)

    def _on_result_ack(self, rid, ack):
        outcome = None
        with self._lock:
            if rid not in self._outbox:
                return
            if isinstance(ack, dict) and ack.get("ok"):
                outcome = "duplicate" if ack.get("duplicate") else "accepted"
            elif isinstance(ack, dict) and (ack.get("error") or {}).get("code") == "unavailable":
                # The server could not save it; nothing changed there. Try again shortly.
                timer = threading.Timer(UNAVAILABLE_RETRY, lambda: self._resend(rid))
                timer.daemon = True
                timer.start()
                return
            else:
                outcome = "refused"
            self._outbox.pop(rid, None)
            self._idle.notify_all()
        if outcome == "refused":
            log.warning("the server refused the result for %s: %s", rid, ack)
        self._fire("delivered", rid, outcome)

    def _resend(self, rid):
        with self._lock:
            message = self._outbox.get(rid)
        if message is not None:
            self._send_result(message)

    # ---- helpers ---------------------------------------------------------------------------

    def _emit_live(self, event, data, callback=None):
        """Emits only while registered: the server refuses events from an unregistered socket."""
        if not self._registered:
            return False
        try:
            # python-socketio's ack bookkeeping is not thread-safe; handlers emit from many threads.
            with self._emit_lock:
                self._sio.emit(event, data, callback=callback)
            return True
        except (socketio.exceptions.SocketIOError, ValueError) as err:
            log.debug("could not send %s: %s", event, err)
            return False

    def _wake_pacer(self):
        self._pacer_wake.set()

    def _pacer(self):
        """Sends the jobs' gathered stream chunks and progress every STREAM_INTERVAL."""
        while not self._closed.is_set():
            self._pacer_wake.wait()
            self._pacer_wake.clear()
            time.sleep(STREAM_INTERVAL)
            with self._lock:
                jobs = list(self._jobs.values())
            if any([job.flush() for job in jobs]):
                self._pacer_wake.set()  # a progress update still waits for its interval

    def _fire(self, event, *args):
        for fn in self._listeners.get(event, []):
            try:
                fn(*args)
            except Exception:  # noqa: BLE001 - a listener must not break the worker
                log.exception("a %r listener raised", event)

    def _close(self, error):
        """Final: gives up on what still runs, disconnects, and reports ``closed``."""
        with self._lock:
            if self._state == "closed":
                return
            # A failed start is reported by start() raising; only a later failure is logged here.
            report = error is not None and self._state != "starting"
            self._state = "closed"
            self._registered = False
            self._close_error = error
            given_up = [job for job in self._jobs.values() if self._cancel(job, "worker_stopping")]
            self._idle.notify_all()
        for job in given_up:
            self._fire("cancelled", job.request, "worker_stopping")
        self._answer_start(error or WorkerError("the worker was stopped", "worker_stopping"))
        try:
            self._sio.disconnect()
        except Exception:  # noqa: BLE001 - already disconnected is fine
            pass
        if self._pool is not None:
            self._pool.shutdown()
        self._closed.set()
        self._pacer_wake.set()
        if report:
            log.error("worker closed: %s", error.message if isinstance(error, WorkerError) else error)
        self._fire("closed", error)
