"""The extraction worker: a process that runs the calls the crawl process sends it, one at a time.

crawler.extraction.pool starts it with two pipes, one for calls, one for their results. Every
message is a frame: its number and its payload's length (FRAME, 16 bytes), then the payload, a
pickle. A call's payload is a picklable callable (a functools.partial of
crawler.page_reading.read_page); its reply is (True, result) or (False, exception).

The worker ends when the call pipe closes: the pool closed it, or the crawl process died (the
kernel closes a dead process's pipes), so no worker outlives its crawl and none needs a watcher;
it skips the interpreter's teardown, as crawler.program does. It ignores SIGINT: a Ctrl-C
stops the crawl gracefully, and the pages still being read are read to the end. This protocol
is ours, not multiprocessing's: its pool costs a feeder and a manager thread in the crawl
process, which took more CPU there than the calls themselves.
"""

from __future__ import annotations

import os
import pickle
import signal
import struct
from typing import BinaryIO

# A frame's header: the call's number and the length of the pickle that follows.
FRAME = struct.Struct("!QQ")


def frame(number: int, payload: bytes) -> bytes:
    return FRAME.pack(number, len(payload)) + payload


def _answer(payload: bytes) -> bytes:
    """The pickled reply to one pickled call; an exception the call raised is the reply."""
    # A call this worker cannot load (a broken install) ends it with its traceback on stderr;
    # the pool then raises WorkerLost in the crawl process.
    call = pickle.loads(payload)
    try:
        reply = (True, call())
    except Exception as exc:  # not hidden: ExtractionPool.run re-raises it in the crawl process
        reply = (False, exc)
    try:
        return pickle.dumps(reply, pickle.HIGHEST_PROTOCOL)
    except (pickle.PicklingError, TypeError, AttributeError) as exc:
        failure = RuntimeError(f"the extraction result could not be sent back: {exc!r}")
        return pickle.dumps((False, failure), pickle.HIGHEST_PROTOCOL)


def serve(calls: BinaryIO, replies: BinaryIO) -> None:
    """Answer calls until the call pipe ends."""
    while len(header := calls.read(FRAME.size)) == FRAME.size:
        number, size = FRAME.unpack(header)
        payload = calls.read(size)
        if len(payload) < size:
            return  # the crawl process died while writing
        replies.write(frame(number, _answer(payload)))
        replies.flush()


def main(calls_fd: int, replies_fd: int) -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    calls, replies = os.fdopen(calls_fd, "rb"), os.fdopen(replies_fd, "wb")
    try:
        with calls, replies:
            serve(calls, replies)
    except BrokenPipeError:  # the crawl process is gone: nobody to answer
        pass
    os._exit(0)
