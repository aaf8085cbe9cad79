"""A remote app written only from the seed's wire protocol (shared/seed/README.md).

It is what an unmodified seed-era app does: python-socketio client, reconnection 1 s / 5 s,
websocket then polling, `register` with {space_name}, `inference_request` in,
`inference_result` out. The only change an operator makes is the worker token in the URL.

Usage: python3 seed_app.py --host 'http://127.0.0.1:5001?token=wss_...' --spaces Name [--fail]
"""

import argparse
import datetime
import sys

import socketio


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--host", required=True)
    parser.add_argument("--spaces", required=True)
    parser.add_argument("--fail", action="store_true", help="answer every request with a failure")
    args = parser.parse_args()

    sio = socketio.Client(reconnection=True, reconnection_delay=1, reconnection_delay_max=5)

    @sio.event
    def connect():
        print("connected", flush=True)
        sio.emit("register", {"space_name": args.spaces})

    @sio.on("register_response")
    def on_register_response(data):
        if data.get("success"):
            print(f"registered connection_id={data.get('connection_id')} space_id={data.get('space_id')}", flush=True)
        else:
            print(f"registration failed: {data.get('message')}", flush=True)

    @sio.on("inference_request")
    def on_inference_request(data):
        request_id = data["request_id"]
        prompt = data.get("payload", {}).get("prompt", "")
        print(f"request {request_id} from {data.get('username')}: {prompt}", flush=True)
        if args.fail:
            sio.emit("inference_result", {"request_id": request_id, "status": "failed", "result": {"error": "seed app failure"}})
            return
        result = {
            "text_output": f"Seed app says: {prompt[::-1]}",
            "confidence": 0.93,
            "model_used": "seed-mock",
            "processing_time_seconds": 0.01,
            "tokens_used": len(prompt.split()),
            "timestamp": datetime.datetime.now().isoformat(),
        }
        sio.emit("inference_result", {"request_id": request_id, "status": "completed", "result": result})
        print(f"answered {request_id}", flush=True)

    @sio.event
    def disconnect():
        print("disconnected", flush=True)

    try:
        sio.connect(args.host, transports=["websocket", "polling"])
    except socketio.exceptions.ConnectionError as err:
        print(f"connection refused: {err}", flush=True)
        return 1
    sio.wait()
    return 0


if __name__ == "__main__":
    sys.exit(main())
