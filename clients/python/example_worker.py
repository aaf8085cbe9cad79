"""Example: publish a plain Python function as a WebSocket Spaces model.

    WSSPACES_WORKER_TOKEN=wss_... python3 example_worker.py --server http://127.0.0.1:5001 --space Echo

`generate` stands for your model: replace its body with a call to a pipeline, an API or a
script. It reports progress, streams its answer word by word, and stops early when the site
cancels the request (the user pressed cancel, or the deadline passed).
"""
import argparse
import logging
import os
import sys
import time

from wsspaces_worker import Worker, WorkerError


def generate(prompt, progress, stream, cancelled):
    """A stand-in model: answers with the prompt reversed, one word at a time."""
    words = prompt.split()[::-1] or ["(empty", "prompt)"]
    progress(0.0, "thinking")
    output = []
    for index, word in enumerate(words):
        if cancelled.is_set():
            return None
        time.sleep(0.05)  # the "inference"
        output.append(word)
        stream(word + " ")
        progress((index + 1) / len(words), "word %d/%d" % (index + 1, len(words)))
    return " ".join(output)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--server", default=os.environ.get("WSSPACES_SERVER", "http://127.0.0.1:5001"))
    parser.add_argument("--token", default=os.environ.get("WSSPACES_WORKER_TOKEN"))
    parser.add_argument("--space", required=True)
    parser.add_argument("--capacity", type=int, default=1)
    parser.add_argument("--name", default=None)
    parser.add_argument("--drain-timeout", type=float, default=10.0)
    parser.add_argument("-v", "--verbose", action="store_true")
    args = parser.parse_args()
    logging.basicConfig(level=logging.DEBUG if args.verbose else logging.INFO,
                        format="%(asctime)s %(levelname)-5s %(message)s", datefmt="%H:%M:%S")

    worker = Worker(args.server, token=args.token, space=args.space, capacity=args.capacity, name=args.name)

    @worker.handler
    def infer(request, ctx):
        text = generate(request.prompt, ctx.progress, ctx.stream, ctx.cancelled)
        return {"text_output": text, "model_used": "example-reverser"}

    try:
        return worker.run(drain_timeout=args.drain_timeout)
    except WorkerError as err:  # e.g. code "invalid_token", "space_not_found"
        logging.error("could not start: %s (%s)", err.message, err.code)
        return 1


if __name__ == "__main__":
    sys.exit(main())
