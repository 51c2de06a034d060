"""Check the HMAC signature of every IOPub message the Jupyter kernels send, from the raw ZMQ frames.

The classic notebook server logs `ValueError: Invalid Signature` (jupyter_client) and drops the message when a
kernel's message does not verify. This watcher subscribes to the IOPub socket of every kernel whose connection
file appears (default: the kernels of `bench/notebook_screenshot.ts`, under
`/tmp/notebook-screenshot-*/runtime/`), verifies each message with that kernel's key, and for a message that
does not verify prints one JSON line saying whether a frame holds another, complete ZMTP message (the bytes
`\\x01\\t<IDS|MSG>`: two messages interleaved on one connection) and saves the frames to OUT_DIR.

Usage (beside a screenshot run):
    /usr/bin/python3 bench/iopub_signatures.py [--seconds=900] [--glob=PATTERN] [--out=results/iopub_bad]

Needs pyzmq (Debian python3-zmq, a dependency of jupyter-client).
"""
import glob
import hashlib
import hmac
import json
import os
import sys
import time

import zmq


def arg(name, default):
    for a in sys.argv[1:]:
        if a.startswith(f"--{name}="):
            return a.split("=", 1)[1]
    return default


def sign(key, parts):
    mac = hmac.new(key, digestmod=hashlib.sha256)
    for p in parts:
        mac.update(p)
    return mac.hexdigest().encode()


def main():
    seconds = float(arg("seconds", "900"))
    pattern = arg("glob", "/tmp/notebook-screenshot-*/runtime/kernel-*.json")
    out_dir = arg("out", "results/iopub_bad")
    ctx = zmq.Context()
    poller = zmq.Poller()
    kernels, sockets = {}, {}
    counts = {"kernels": 0, "messages": 0, "bad": 0}
    end = time.time() + seconds
    while time.time() < end:
        for path in glob.glob(pattern):
            if path in kernels:
                continue
            try:
                info = json.load(open(path))
            except (OSError, ValueError):
                continue  # being written
            kernels[path] = info["key"].encode()
            sub = ctx.socket(zmq.SUB)
            sub.setsockopt(zmq.SUBSCRIBE, b"")
            sub.connect(f"{info['transport']}://{info['ip']}:{info['iopub_port']}")
            poller.register(sub, zmq.POLLIN)
            sockets[sub] = path
            counts["kernels"] += 1
        for sub, _ in poller.poll(50):
            frames = sub.recv_multipart()
            path = sockets[sub]
            counts["messages"] += 1
            if b"<IDS|MSG>" not in frames:
                print(json.dumps({"kernel": os.path.basename(path), "error": "no <IDS|MSG> delimiter"}), flush=True)
                continue
            i = frames.index(b"<IDS|MSG>")
            sig, parts = frames[i + 1], frames[i + 2:i + 6]
            if sign(kernels[path], parts) == sig:
                continue
            counts["bad"] += 1
            tag = f"{time.strftime('%H%M%S')}-{counts['bad']}"
            os.makedirs(out_dir, exist_ok=True)
            for k, f in enumerate(frames):
                open(os.path.join(out_dir, f"{tag}-frame{k}.bin"), "wb").write(f)
            header = json.loads(parts[0]) if parts and parts[0].startswith(b"{") else {}
            embedded = [
                {"frame": k, "offset": f.find(b"\x01\t<IDS|MSG>")}
                for k, f in enumerate(frames)
                if f.find(b"\x01\t<IDS|MSG>") >= 0
            ]
            print(json.dumps({
                "kernel": os.path.basename(path),
                "msg_type": header.get("msg_type"),
                "frame_lengths": [len(f) for f in frames],
                "another_message_inside": embedded,
                "saved": os.path.join(out_dir, f"{tag}-frame*.bin"),
            }), flush=True)
    print(json.dumps(counts), flush=True)


if __name__ == "__main__":
    main()
