#!/usr/bin/env python3
"""The report's model written in PyTorch, as a speed peer for bench/train_step.ts and bench/decode.ts.

Same shapes as the `paper` profile (lib/config.ts): vocabulary 10,000, embedding 100, 3 stacked LSTM(256)
encoder with input dropout 0.4, decoder LSTM(256) started from the encoder's last (h, c), additive attention
score = v^T tanh(W1 h_dec + W2 h_enc) with A = 256 and padded positions masked, [decoder output, context] ->
dense softmax over the vocabulary; RMSprop (lr 0.001, rho 0.9, eps 1e-7) on the cross-entropy of the real
(not padding) target positions, whose logits alone are computed (as the kit's training step does). It is written
the way a PyTorch user would write it (nn.LSTM, logits into F.cross_entropy), not translated from our tfjs code.

Modes (one JSON line each on stdout):
  train:  {"bench":"torch_peer","mode":"train","ms_per_step":..,"batch":..}  median of --steps timed steps
  decode: {"bench":"torch_peer","mode":"decode","summaries_per_s":..}  batched greedy decoding of --n inputs
          in batches of --batch-size, always --max-len steps (as bench/decode.ts); the encoder keys W2 h_enc
          are computed once per input (--cache-keys=0 recomputes them at every step).

Run: python3 bench/torch_peer.py train --batch=60 --threads=2
     python3 bench/torch_peer.py decode --n=128 --batch-size=64 --threads=2
Needs PyTorch (Debian: apt-get install python3-torch). Exit code 3 when torch cannot be imported.
"""
import json
import statistics
import sys
import time

try:
    import torch
    import torch.nn as nn
    import torch.nn.functional as F
except ImportError as e:  # the bench runner reports this as "skipped"
    print(json.dumps({"bench": "torch_peer", "skipped": f"PyTorch not importable: {e}"}))
    sys.exit(3)

# the paper profile's shapes; --vocab, --emb, --units, --att, --layers, --tin, --tout, --shared_emb override them
V, D, U, A, LAYERS, TIN, TOUT, DROPOUT, SHARED_EMB = 10_000, 100, 256, 256, 3, 50, 20, 0.4, 0
PAD, SOS, EOS, RESERVED = 0, 2, 3, 4  # as lib/data/tokenizer.ts


class Seq2Seq(nn.Module):
    def __init__(self):
        super().__init__()
        self.enc_emb = nn.Embedding(V, D)
        # --shared_emb=1: one matrix for input and output words, as the `default` profile's sharedEmbedding
        self.dec_emb = self.enc_emb if SHARED_EMB else nn.Embedding(V, D)
        self.enc = nn.ModuleList([nn.LSTM(D if i == 0 else U, U, batch_first=True) for i in range(LAYERS)])
        self.dec = nn.LSTM(D, U, batch_first=True)
        self.w1 = nn.Linear(U, A, bias=False)
        self.w2 = nn.Linear(U, A, bias=False)
        self.v = nn.Linear(A, 1, bias=False)
        self.out = nn.Linear(2 * U, V)

    def drop(self, x):
        # Keras LSTM dropout: one mask per sequence, the same at every time step
        if not self.training:
            return x
        mask = torch.empty(x.shape[0], 1, x.shape[2]).bernoulli_(1 - DROPOUT) / (1 - DROPOUT)
        return x * mask

    def encode(self, src):
        x = self.enc_emb(src)
        for lstm in self.enc:
            x, (h, c) = lstm(self.drop(x))
        return x, h, c

    def attend(self, dec_out, keys, enc_out, pad):
        # dec_out (B, Td, U), keys (B, Te, A) -> context (B, Td, U)
        hidden = torch.tanh(self.w1(dec_out).unsqueeze(2) + keys.unsqueeze(1))  # (B, Td, Te, A)
        score = self.v(hidden).squeeze(-1).masked_fill(pad.unsqueeze(1), -1e9)
        return torch.softmax(score, -1) @ enc_out

    def features(self, src, tgt_in):
        enc_out, h, c = self.encode(src)
        dec_out, _ = self.dec(self.drop(self.dec_emb(tgt_in)), (h, c))
        context = self.attend(dec_out, self.w2(enc_out), enc_out, src == PAD)
        return torch.cat([dec_out, context], -1)  # (B, Td, 2U): what the output layer reads

    def forward(self, src, tgt_in):
        return self.out(self.features(src, tgt_in))  # logits (B, Td, V)


def batch_data(n, gen, tin_min, tout_min):
    """Rows like bench/train_step.ts's synthetic data: lengths uniform in [shortest, length] (the shortest rows
    that give the profile's padding shares: `shortestRow` there), ids in [1, V), zero padding."""
    def rows(length, shortest):
        ids = torch.randint(1, V, (n, length), generator=gen)
        lens = torch.randint(shortest, length + 1, (n, 1), generator=gen)
        return ids * (torch.arange(length).unsqueeze(0) < lens)
    src, tgt_in = rows(TIN, tin_min or TIN // 2), rows(TOUT, tout_min or TOUT // 2)
    tgt_out = torch.cat([tgt_in[:, 1:], torch.zeros(n, 1, dtype=torch.long)], 1)
    tgt_out = torch.where((tgt_in != 0) & (tgt_out == 0), torch.full_like(tgt_out, EOS), tgt_out)
    return src, tgt_in, tgt_out


def bench_train(args):
    torch.manual_seed(0)
    model = Seq2Seq().train()
    opt = torch.optim.RMSprop(model.parameters(), lr=1e-3, alpha=0.9, eps=1e-7)
    src, tgt_in, tgt_out = batch_data(args["batch"], torch.Generator().manual_seed(1), args["tin_min"],
                                      args["tout_min"])
    mask = tgt_out != PAD
    times, losses = [], []
    for i in range(args["warmup"] + args["steps"]):
        t0 = time.perf_counter()
        opt.zero_grad(set_to_none=True)
        # the output layer at the real target positions only, as the kit computes it (lib/speed/fused_loss.ts):
        # padding costs nothing in the loss, so a PyTorch user at their best skips its logits too
        logits = model.out(model.features(src, tgt_in)[mask])  # (N, V)
        loss = F.cross_entropy(logits, tgt_out[mask])
        loss.backward()
        opt.step()
        losses.append(loss.item())
        correct = (logits.argmax(-1) == tgt_out[mask]).sum().item()  # the kit reports accuracy too
        if i >= args["warmup"]:
            times.append((time.perf_counter() - t0) * 1000)
    return {"mode": "train", "ms_per_step": round(statistics.median(times), 1), "batch": args["batch"],
            "steps": args["steps"], "loss_first": round(losses[0], 4), "loss_last": round(losses[-1], 4),
            "correct_last": correct, "params": sum(p.numel() for p in model.parameters()), "padding": {"input": round((src == PAD).float().mean().item(), 3),
                                                 "target": round((~mask).float().mean().item(), 3)}}


@torch.inference_mode()
def greedy(model, src, max_len, cache_keys):
    enc_out, h, c = model.encode(src)
    h, c = h, c
    pad = src == PAD
    keys = model.w2(enc_out) if cache_keys else None
    prev = torch.full((src.shape[0], 1), SOS, dtype=torch.long)
    out = []
    for _ in range(max_len):
        dec_out, (h, c) = model.dec(model.dec_emb(prev), (h, c))
        context = model.attend(dec_out, keys if cache_keys else model.w2(enc_out), enc_out, pad)
        logits = model.out(torch.cat([dec_out, context], -1))[:, 0]
        prev = logits.argmax(-1, keepdim=True)  # greedy needs the arg-max, not the probabilities
        out.append(prev)
    return torch.cat(out, 1)


def bench_decode(args):
    torch.manual_seed(0)
    model = Seq2Seq().eval()
    with torch.no_grad():  # as bench/decode.ts: never pick eostok or <pad>, so every summary is full length
        model.out.bias[EOS] -= 100
        model.out.bias[PAD] -= 100
    gen = torch.Generator().manual_seed(2)
    n, bs = args["n"], args["batch_size"]
    src = torch.randint(RESERVED, V, (n, TIN), generator=gen)
    lens = torch.randint(25, TIN + 1, (n, 1), generator=gen)
    src = src * (torch.arange(TIN).unsqueeze(0) < lens)
    greedy(model, src[:bs], args["max_len"], args["cache_keys"])  # warm-up: one full batch, as bench/decode.ts
    t0 = time.perf_counter()
    for s in range(0, n, bs):
        greedy(model, src[s:s + bs], args["max_len"], args["cache_keys"])
    seconds = time.perf_counter() - t0
    return {"mode": "decode", "summaries_per_s": round(n / seconds, 3), "n": n, "batchSize": bs,
            "seconds": round(seconds, 3), "maxLen": args["max_len"], "cacheKeys": bool(args["cache_keys"])}


def main(argv):
    mode = argv[0] if argv and not argv[0].startswith("--") else "train"
    global V, D, U, A, LAYERS, TIN, TOUT, SHARED_EMB
    args = {"batch": 60, "steps": 5, "warmup": 2, "threads": 2, "n": 128, "batch_size": 64,
            "max_len": 0, "cache_keys": 1, "vocab": V, "emb": D, "units": U, "att": A, "layers": LAYERS,
            "tin": TIN, "tout": TOUT, "tin_min": 0, "tout_min": 0, "shared_emb": SHARED_EMB}
    for a in argv:
        if not a.startswith("--"):
            continue
        k, _, v = a[2:].partition("=")
        k = k.replace("-", "_")
        if k not in args:
            raise SystemExit(f"torch_peer.py: unknown option --{k}: expected {', '.join(args)}")
        args[k] = int(v)
    V, D, U, A, LAYERS, TIN, TOUT, SHARED_EMB = (
        args[k] for k in ("vocab", "emb", "units", "att", "layers", "tin", "tout", "shared_emb"))
    args["max_len"] = args["max_len"] or TOUT
    torch.set_num_threads(args["threads"])
    if mode not in ("train", "decode"):
        raise SystemExit(f"torch_peer.py: unknown mode {mode}: expected train or decode")
    row = bench_train(args) if mode == "train" else bench_decode(args)
    print(json.dumps({"bench": "torch_peer", **row, "threads": torch.get_num_threads(),
                      "shapes": {"vocab": V, "emb": D, "units": U, "att": A, "layers": LAYERS, "tin": TIN,
                                 "tout": TOUT, "shared_emb": bool(SHARED_EMB)}, "torch": torch.__version__}))


if __name__ == "__main__":
    main(sys.argv[1:])
