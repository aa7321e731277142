"""PyTorch's side of Tessera's GPU benchmark: the same five model rows (same shapes, bf16 autocast, fused
AdamW, HF transformers models with SDPA attention) and the same kernel rates, timed with CUDA events after
warm-up, as JSON. bench/gpu/run.sh runs it beside bench/gpu/tessera.ts in one call.

  python3 bench/gpu/torch_bench.py --out torch.json [--rows kernels,gpt2,...] [--fp32] [--compile] [--steps 10]
"""
import argparse
import json
import os
import time

import torch
import torch.nn as nn
import transformers as hf

ALL_ROWS = ["kernels", "gpt2", "bert-pretrain", "bert-encode", "vit", "transformer"]
p = argparse.ArgumentParser()
p.add_argument("--out", default="torch-bench.json")
p.add_argument("--rows", default=",".join(ALL_ROWS))
p.add_argument("--steps", type=int, default=10)
p.add_argument("--warmup", type=int, default=3)
p.add_argument("--fp32", action="store_true", help="also time float32 (TF32 matmuls) rows")
p.add_argument("--compile", action="store_true", help="also time GPT-2 training under torch.compile")
args = p.parse_args()

dev = "cuda"
torch.manual_seed(0)
torch.backends.cudnn.allow_tf32 = True
results = {"device": torch.cuda.get_device_name(0), "torch": torch.__version__, "transformers": hf.__version__,
           "steps": args.steps, "warmup": args.warmup}


def timed(fn, steps=None, warmup=None):
    """Mean seconds per call over `steps` calls after `warmup`, between two CUDA events."""
    steps = steps or args.steps
    warmup = args.warmup if warmup is None else warmup
    for _ in range(warmup):
        fn()
    torch.cuda.synchronize()
    start, end = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
    start.record()
    for _ in range(steps):
        fn()
    end.record()
    torch.cuda.synchronize()
    return start.elapsed_time(end) / 1000.0 / steps


def kernels():
    r = {}
    n = 8192
    a, b = torch.randn(n, n, device=dev), torch.randn(n, n, device=dev)
    ab, bb = a.bfloat16(), b.bfloat16()
    r["matmul_bf16_tflops"] = 2 * n ** 3 / timed(lambda: ab @ bb, 10, 2) / 1e12
    torch.backends.cuda.matmul.allow_tf32 = True
    r["matmul_tf32_tflops"] = 2 * n ** 3 / timed(lambda: a @ b, 10, 2) / 1e12
    torch.backends.cuda.matmul.allow_tf32 = False
    r["matmul_fp32_tflops"] = 2 * n ** 3 / timed(lambda: a @ b, 3, 1) / 1e12
    del a, b, ab, bb
    B, H, T, D = 16, 12, 1024, 64
    causal_flops = 4 * B * H * T * T * D / 2
    for dtype, name in ((torch.bfloat16, "bfloat16"), (torch.float32, "float32")):
        q, k, v = (torch.randn(B, H, T, D, device=dev, dtype=dtype, requires_grad=True) for _ in range(3))
        g = torch.randn(B, H, T, D, device=dev, dtype=dtype)
        sdpa = torch.nn.functional.scaled_dot_product_attention
        with torch.no_grad():
            fwd = timed(lambda: sdpa(q, k, v, is_causal=True), 10, 2)
        both = timed(lambda: sdpa(q, k, v, is_causal=True).backward(g), 5, 1)
        r[f"attention_{name}_fwd_ms"] = fwd * 1e3
        r[f"attention_{name}_fwd_tflops"] = causal_flops / fwd / 1e12
        r[f"attention_{name}_bwd_ms"] = (both - fwd) * 1e3
        r[f"attention_{name}_bwd_tflops"] = 2.5 * causal_flops / (both - fwd) / 1e12
    rows, C = 16384, 768
    x, w, bias = torch.randn(rows, C, device=dev), torch.randn(C, device=dev), torch.randn(C, device=dev)
    nbytes = 2 * rows * C * 4
    with torch.no_grad():
        r["layer_norm_gbs"] = nbytes / timed(lambda: torch.nn.functional.layer_norm(x, (C,), w, bias), 20, 2) / 1e9
        r["softmax_gbs"] = nbytes / timed(lambda: torch.softmax(x, -1), 20, 2) / 1e9
        big = torch.randn(64 << 20, device=dev)
        r["add_gbs"] = 3 * 4 * (64 << 20) / timed(lambda: big + big, 20, 2) / 1e9
        r["cast_bf16_gbs"] = 6 * (64 << 20) / timed(lambda: big.bfloat16(), 20, 2) / 1e9
        r["sum_gbs"] = 4 * (64 << 20) / timed(lambda: big.sum(), 20, 2) / 1e9
    V, N = 50257, 16384
    logits = torch.randn(N, V, device=dev, requires_grad=True)
    targets = torch.randint(0, V, (N,), device=dev)
    t = timed(lambda: torch.nn.functional.cross_entropy(logits, targets).backward(), 5, 1)
    r["cross_entropy_fwd_bwd_ms"] = t * 1e3
    r["cross_entropy_fwd_bwd_gbs"] = 3 * 4 * N * V / t / 1e9
    return r


def run_model(model, per_step, unit, make_loss, infer, modes):
    model = model.to(dev)
    r = {"params_M": sum(p.numel() for p in model.parameters()) / 1e6}
    for mode in modes:
        amp = mode == "bf16"
        torch.backends.cuda.matmul.allow_tf32 = mode == "fp32"
        if make_loss is not None:
            model.train()
            opt = torch.optim.AdamW(model.parameters(), lr=1e-4, fused=True)

            def step():
                with torch.autocast("cuda", dtype=torch.bfloat16, enabled=amp):
                    loss = make_loss(model)
                loss.backward()
                opt.step()
                opt.zero_grad(set_to_none=True)

            r[f"train_{mode}_{unit}_per_s"] = per_step / timed(step)
            del opt
        model.eval()
        with torch.no_grad(), torch.autocast("cuda", dtype=torch.bfloat16, enabled=amp):
            r[f"infer_{mode}_{unit}_per_s"] = per_step / timed(lambda: infer(model))
    torch.backends.cuda.matmul.allow_tf32 = False
    r["peak_memory_GiB"] = torch.cuda.max_memory_allocated() / 2 ** 30
    return r


class Seq2Seq(nn.Module):
    """The original Transformer base: shared 32k embedding, 6+6 post-LN layers, d 512, tied output projection."""

    def __init__(self, vocab=32000, d=512):
        super().__init__()
        self.emb = nn.Embedding(vocab, d)
        self.tf = nn.Transformer(d, 8, 6, 6, 2048, dropout=0.0, batch_first=True)
        self.scale = d ** 0.5

    def forward(self, src, tgt):
        mask = nn.Transformer.generate_square_subsequent_mask(tgt.size(1), device=tgt.device)
        h = self.tf(self.emb(src) * self.scale, self.emb(tgt) * self.scale, tgt_mask=mask, tgt_is_causal=True)
        return h @ self.emb.weight.t()


def rows_to_run():
    modes = ("bf16", "fp32") if args.fp32 else ("bf16",)
    for name in args.rows.split(","):
        torch.cuda.reset_peak_memory_stats()
        if name == "kernels":
            yield "kernels", kernels
        elif name == "gpt2":
            def gpt2():
                cfg = hf.GPT2Config(resid_pdrop=0, embd_pdrop=0, attn_pdrop=0, attn_implementation="sdpa")
                m = hf.GPT2LMHeadModel(cfg)
                x = torch.randint(0, cfg.vocab_size, (16, 1024), device=dev)
                r = run_model(m, 16 * 1024, "tokens", lambda m: m(input_ids=x, labels=x).loss, lambda m: m(input_ids=x).logits, modes)
                if args.compile:
                    t0 = time.time()
                    mc = torch.compile(m.to(dev).train())
                    opt = torch.optim.AdamW(mc.parameters(), lr=1e-4, fused=True)

                    def step():
                        with torch.autocast("cuda", dtype=torch.bfloat16):
                            loss = mc(input_ids=x, labels=x).loss
                        loss.backward()
                        opt.step()
                        opt.zero_grad(set_to_none=True)

                    step()
                    torch.cuda.synchronize()
                    r["train_bf16_compiled_tokens_per_s"] = 16 * 1024 / timed(step)
                    r["compile_s"] = time.time() - t0
                return r
            yield "gpt2_124M_b16_s1024", gpt2
        elif name == "bert-pretrain":
            def bert_pretrain():
                m = hf.BertForPreTraining(hf.BertConfig(attn_implementation="sdpa"))
                ids = torch.randint(0, 30522, (32, 512), device=dev)
                lab = torch.full_like(ids, -100)
                lab[:, ::7] = ids[:, ::7]
                nsp = torch.randint(0, 2, (32,), device=dev)
                return run_model(m, 32, "sequences", lambda m: m(input_ids=ids, labels=lab, next_sentence_label=nsp).loss,
                                 lambda m: m(input_ids=ids).prediction_logits, modes)
            yield "bert_base_pretrain_b32_s512", bert_pretrain
        elif name == "bert-encode":
            def bert_encode():
                m = hf.BertModel(hf.BertConfig(attn_implementation="sdpa"))
                ids = torch.randint(0, 30522, (64, 128), device=dev)
                return run_model(m, 64, "sequences", None, lambda m: m(input_ids=ids).last_hidden_state, modes)
            yield "bert_base_encode_b64_s128", bert_encode
        elif name == "vit":
            def vit():
                m = hf.ViTForImageClassification(hf.ViTConfig(num_labels=1000, attn_implementation="sdpa"))
                px = torch.randn(128, 3, 224, 224, device=dev)
                lab = torch.randint(0, 1000, (128,), device=dev)
                return run_model(m, 128, "images", lambda m: m(pixel_values=px, labels=lab).loss, lambda m: m(pixel_values=px).logits, modes)
            yield "vit_b16_224_b128", vit
        elif name == "transformer":
            def transformer():
                m = Seq2Seq()
                src = torch.randint(0, 32000, (64, 128), device=dev)
                tgt = torch.randint(0, 32000, (64, 128), device=dev)
                loss = lambda m: nn.functional.cross_entropy(m(src, tgt).flatten(0, 1).float(), tgt.flatten(), label_smoothing=0.1)
                return run_model(m, 64 * 128, "target_tokens", loss, lambda m: m(src, tgt), modes)
            yield "transformer_base_b64_s128", transformer
        else:
            raise SystemExit(f"unknown row '{name}' (expected {', '.join(ALL_ROWS)})")


for key, fn in rows_to_run():
    try:
        results[key] = fn()
    except Exception as e:  # a failed row is reported, the others still run
        results[key] = {"error": f"{type(e).__name__}: {e}"}
    print(key, json.dumps(results[key]), flush=True)
    torch.cuda.empty_cache()
    with open(args.out, "w") as f:
        json.dump(results, f, indent=1)
print("wrote", args.out)
