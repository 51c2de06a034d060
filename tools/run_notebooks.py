#!/usr/bin/python3
"""Execute Jupyter notebooks headless, top to bottom, through nbclient and the project's Deno kernel.

The Deno kernel (2.9) sometimes publishes a cell's outputs on IOPub *after* its `status: idle`;
plain nbclient/nbconvert then drops them. This runner attaches every late output to the cell that
produced it (by `parent_header.msg_id`) and, after the last cell, drains IOPub for --grace seconds.

Each notebook NB is written, executed, to OUT_DIR/<name of NB> (also when a cell fails, with the
outputs up to the failing cell); the sources are never modified. One JSON line per notebook goes to
stdout: {"notebook", "output", "ok", "seconds", "late_outputs", "cells", "error"}. Progress and
cell errors go to stderr. Exit status 1 when any notebook failed.

Run it with a Python that has nbclient (Debian: /usr/bin/python3); `deno task notebooks`
(tools/run_notebooks.ts) sets JUPYTER_PATH so that the kernel name resolves to the project kernel.

usage: run_notebooks.py --out-dir DIR [--kernel deno] [--kernel-dir DIR] [--timeout S] [--grace S] NB...
"""
import argparse
import asyncio
import json
import os
import sys
import time

import nbformat
from jupyter_client.kernelspec import KernelSpecManager, NoSuchKernel
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionComplete, CellExecutionError

# Message types that carry a cell's output (clear_output is handled separately, see _route_late).
OUTPUT_TYPES = ("stream", "display_data", "execute_result", "error", "update_display_data")


class LateOutputClient(NotebookClient):
    """NotebookClient that keeps outputs a kernel publishes after the cell's idle status."""

    def __init__(self, *args, grace=0.5, **kwargs):
        super().__init__(*args, **kwargs)
        self.grace = grace
        self._owner = {}  # parent msg_id -> (cell, cell_index)
        self.late_count = 0

    def _route_late(self, msg):
        owner = self._owner.get(msg.get("parent_header", {}).get("msg_id"))
        if owner is None:
            return
        cell, index = owner
        kind = msg["msg_type"]
        if kind == "clear_output":
            # applying it through process_message would set a flag that clears the *current* cell
            cell.outputs = []
            self.late_count += 1
        elif kind in OUTPUT_TYPES:
            self.late_count += 1
            try:
                self.process_message(msg, cell, index)
            except CellExecutionComplete:
                pass

    async def _async_poll_output_msg(self, parent_msg_id, cell, cell_index):
        self._owner[parent_msg_id] = (cell, cell_index)
        while True:
            msg = await self.kc.iopub_channel.get_msg(timeout=None)
            if msg["parent_header"].get("msg_id") == parent_msg_id:
                try:
                    self.process_message(msg, cell, cell_index)
                except CellExecutionComplete:
                    return
            else:
                self._route_late(msg)

    async def _drain(self):
        # A silent sentinel execution: the kernel handles requests in order, so outputs of the last cell that
        # it publishes late arrive before the sentinel's idle status. Then wait `grace` more for stragglers.
        try:
            sentinel = self.kc.execute("0", silent=True, store_history=False)
            end = time.monotonic() + max(30.0, self.grace)
            while (left := end - time.monotonic()) > 0:
                msg = await asyncio.wait_for(self.kc.iopub_channel.get_msg(timeout=None), left)
                if msg.get("parent_header", {}).get("msg_id") == sentinel:
                    if msg["msg_type"] == "status" and msg["content"].get("execution_state") == "idle":
                        break
                    continue
                self._route_late(msg)
        except Exception:  # timeout, or the channel closed: fall back to the grace period alone
            pass
        end = time.monotonic() + self.grace
        while (left := end - time.monotonic()) > 0:
            try:
                msg = await asyncio.wait_for(self.kc.iopub_channel.get_msg(timeout=None), left)
            except Exception:  # timeout, or the channel closed
                break
            self._route_late(msg)

    async def async_execute(self, reset_kc=False, **kwargs):
        # NotebookClient.async_execute (nbclient 0.7), plus a final IOPub drain before the kernel stops
        if reset_kc and self.owns_km:
            await self._async_cleanup_kernel()
        self.reset_execution_trackers()
        async with self.async_setup_kernel(**kwargs):
            assert self.kc is not None
            msg_id = await self.kc.kernel_info()
            info_msg = await self.async_wait_for_reply(msg_id)
            if info_msg is not None and "language_info" in info_msg["content"]:
                self.nb.metadata["language_info"] = info_msg["content"]["language_info"]
            try:
                for index, cell in enumerate(self.nb.cells):
                    await self.async_execute_cell(cell, index, execution_count=self.code_cells_executed + 1)
            finally:
                await self._drain()
            self.set_widgets_metadata()
        return self.nb


def check_kernel(name, expected_dir):
    """Fail unless kernel `name` resolves (via JUPYTER_PATH) to the expected kernelspec folder."""
    try:
        spec_dir = KernelSpecManager().get_kernel_spec(name).resource_dir
    except NoSuchKernel:
        sys.exit(f"run_notebooks: no Jupyter kernel named {name!r} (is JUPYTER_PATH=<project>/jupyter set?)")
    if expected_dir and os.path.realpath(spec_dir) != os.path.realpath(expected_dir):
        sys.exit(f"run_notebooks: kernel {name!r} resolves to {spec_dir}, not the project's {expected_dir}")


def first_error(nb):
    for index, cell in enumerate(nb.cells):
        for out in cell.get("outputs", []):
            if out.get("output_type") == "error":
                return f"cell {index}: {out.get('ename')}: {out.get('evalue')}"
    return None


def run_one(path, args):
    nb = nbformat.read(path, as_version=4)
    client = LateOutputClient(
        nb,
        grace=args.grace,
        timeout=args.timeout,
        kernel_name=args.kernel,
        resources={"metadata": {"path": os.path.dirname(os.path.abspath(path))}},
    )
    out = os.path.join(args.out_dir, os.path.basename(path))
    t0 = time.perf_counter()
    error = None
    try:
        client.execute()
    except CellExecutionError as e:
        error = first_error(nb) or str(e).strip().splitlines()[-1]
        print(str(e), file=sys.stderr)
    except Exception as e:  # kernel died, timeout, ...
        error = f"{type(e).__name__}: {e}"
        print(f"run_notebooks: {path}: {error}", file=sys.stderr)
    seconds = time.perf_counter() - t0
    # an error output the kernel published late (after the cell's idle status) fails the notebook too
    error = error or first_error(nb)
    nbformat.write(nb, out)
    code = [c for c in nb.cells if c.cell_type == "code"]
    return {
        "notebook": path,
        "output": out,
        "ok": error is None,
        "seconds": round(seconds, 2),
        "late_outputs": client.late_count,
        "cells": {"code": len(code), "executed": sum(1 for c in code if c.get("execution_count"))},
        "error": error,
    }


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("notebooks", nargs="+")
    ap.add_argument("--out-dir", required=True)
    ap.add_argument("--kernel", default="deno")
    ap.add_argument("--kernel-dir", default=None, help="the kernelspec folder the kernel name must resolve to")
    ap.add_argument("--timeout", type=int, default=1200, help="seconds per cell")
    ap.add_argument("--grace", type=float, default=1.0, help="seconds to wait for late outputs at the end")
    args = ap.parse_args()
    check_kernel(args.kernel, args.kernel_dir)
    os.makedirs(args.out_dir, exist_ok=True)
    failed = 0
    for path in args.notebooks:
        if os.path.realpath(os.path.join(args.out_dir, os.path.basename(path))) == os.path.realpath(path):
            sys.exit(f"run_notebooks: refusing to overwrite the source notebook {path}")
        print(f"run_notebooks: {path} ...", file=sys.stderr, flush=True)
        result = run_one(path, args)
        failed += 0 if result["ok"] else 1
        print(json.dumps(result), flush=True)
        print(
            f"run_notebooks: {path} -> {result['output']}: {'ok' if result['ok'] else 'FAILED'} "
            f"in {result['seconds']:.1f}s ({result['late_outputs']} late outputs recovered)",
            file=sys.stderr,
            flush=True,
        )
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
