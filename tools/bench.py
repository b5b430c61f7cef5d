"""Speed and quality benchmark of every model family: ``make bench`` writes bench/results.md and .json.

    python tools/bench.py [--steps 30] [--families dcgan,wgan_gp] [--out bench]

For each family, in a fresh subprocess (so that its peak memory is its own), training throughput in
images per second is measured three ways on the same synthetic batches (28x28,
or 32x32 for the chapters that train at that size, at the chapters' batch sizes):

* ``classic``: the loop the classic texts use, one ``train_on_batch`` call per batch (for GANs the
  two-phase loop of :func:`helpers.models.gan.two_phase_train_on_batch`; for the WGAN, which has no
  ``train_on_batch`` form, the same critic and generator steps called eagerly from Python; for the
  CycleGAN, ProGAN and StyleGAN, whose published code is a hand-written step, that ``train_step`` called
  eagerly from a Python loop, i.e. TensorFlow 2 without ``tf.function``);
* ``fit``: ``model.fit`` running helpers' compiled ``train_step``;
* ``fit_xla``: the same with ``jit_compile=True`` (XLA).

The bench seeds with ``keras.utils.set_random_seed`` only. With op determinism on, which
``helpers.config.setup`` turns on wherever no GPU is visible, Keras compiles nothing with XLA, so the
book's CPU runs train at the ``fit`` column's speed; a Colab GPU (no op determinism) gets XLA through
``jit_compile="auto"``.

Warm-up steps (graph tracing, XLA compilation) are excluded. The three are timed in turn, ``--repeats``
times, and each keeps its best time (as ``timeit`` does): on a shared 2-core machine the same run can be
twice as slow from one second to the next, and the best of several is the figure least disturbed by that.
The quality figures come from the
committed notebooks' recorded values (``helpers.report.record``); notebook times come from the stamps
of the committed (book) notebooks and of the smoke run in ``_build/smoke`` when there is one.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tools"))
from nbstamp import recorded_values  # noqa: E402

BATCH = 128
SIDE = {"cyclegan": 32, "progan": 32, "stylegan": 32}  # image side per family (28 when not listed)

# family -> chapter, timed batches (enough for a few seconds each), recorded quality figures, literature anchor
FAMILIES: dict[str, dict[str, Any]] = {
    "stacked_ae": {"chapter": "02", "steps": 200, "records": ["ch02_ae_mse", "ch02_pca_mse"],
                   "anchor": "test MSE below PCA's at the same code size (ch02_pca_mse)"},
    "conv_ae": {"chapter": "03", "steps": 60, "records": ["ch03_conv_mse", "ch03_dense_mse"],
                "anchor": "no published figure for this exact model; compare with the dense AE"},
    "vae": {"chapter": "05", "steps": 200, "records": ["ch05_test_elbo"],
            "anchor": "Fashion-MNIST grey levels under a Bernoulli likelihood: a proxy, no published anchor"},
    "conv_vae": {"chapter": "06", "steps": 60, "records": ["ch06_test_elbo", "ch06_test_nll_iw"],
                 "anchor": "binarised MNIST NLL about 87 nats (VAE) and 85 (IWAE), Burda et al. 2016"},
    "mlp_gan": {"chapter": "07", "steps": 100, "records": ["ch07_fid", "ch07_fid_floor"],
                "anchor": "classifier FID (domain CNN features), not comparable with Inception FID"},
    "dcgan": {"chapter": "08", "steps": 30, "records": ["ch08_fid", "ch08_fid_floor", "ch08_class_share_min",
                                           "ch08_class_share_max"],
              "anchor": "bar: below ch07_fid; every class 5% to 15%"},
    "cgan": {"chapter": "08", "steps": 30, "records": ["ch08_cgan_label_acc", "ch08_cgan_label_acc_min"],
             "anchor": "bar: label accuracy at least 0.90, no class below 0.80"},
    "wgan_gp": {"chapter": "09", "steps": 30, "records": ["ch09_fid_gp", "ch09_fid_clip", "ch09_fid_div",
                                             "ch09_gp_grad_norm_mean"],
                "anchor": "gradient norm on interpolates near 1 (Gulrajani et al. 2017)"},
    "cyclegan": {"chapter": "10", "steps": 10, "records": ["ch10_pair_mse_ratio", "ch10_cycle_mse",
                                              "ch10_colour_oracle_ratio"],
                 "anchor": "bar: pair MSE ratio at most 0.8; a per-channel colour map fitted on the test pairs "
                           "reaches ch10_colour_oracle_ratio"},
    "progan": {"chapter": "12", "steps": 10, "records": ["ch12_fid", "ch12_fid_floor", "ch12_class_share_min",
                                            "ch12_class_share_max"],
               "anchor": "bar: at most ch08_fid; every class at least 3%"},
    "stylegan": {"chapter": "13", "steps": 6, "records": ["ch13_fid", "ch13_fid_floor", "ch13_class_share_min",
                                             "ch13_class_share_max", "ch13_mix_coarse_b", "ch13_mix_fine_a"],
                 "anchor": "bar: at most ch08_fid; every class at least 3%; ch13_mix_coarse_b >= 0.5, "
                               "ch13_mix_fine_a >= 0.8"},
}


# ---------------------------------------------------------------------------------------------- one family
def _data(n: int, channels: bool, side: int = 28, colours: int = 1) -> tuple[Any, Any]:
    import numpy as np

    rng = np.random.default_rng(0)
    x = rng.random((n, side, side, colours) if channels else (n, side, side)).astype("float32")
    return x, rng.integers(0, 10, n)


def _eager_steps(model: Any, x: Any, y: Any, batch: int) -> Callable[[int], None]:
    """The hand-written loop without ``tf.function``: ``train_step`` called eagerly on each batch."""

    def classic(i: int) -> None:
        start = i * batch % len(x)
        data = x[start:start + batch] if y is None else (x[start:start + batch], y[start:start + batch])
        model.train_step(data)

    return classic


def _build(family: str, jit: bool, n: int) -> tuple[Any, Any, Any, Callable[[int], None], str]:
    """``(model, x, y, classic_step, classic_name)`` for one family on ``n`` images, with or without XLA."""
    import keras

    from helpers.models import autoencoders, gan, vae, wgan

    keras.utils.set_random_seed(0)
    if family in ("stacked_ae", "conv_ae"):
        model = (autoencoders.dense_autoencoder(code_size=30, hidden=(100,)) if family == "stacked_ae"
                 else autoencoders.conv_autoencoder(code_size=30))
        model.compile(optimizer="adam", loss="binary_crossentropy", jit_compile=jit)
        x, _ = _data(n, channels=False)

        def classic(i: int) -> None:
            batch = x[i * BATCH % len(x):][:BATCH]
            model.train_on_batch(batch, batch)

        return model, x, x, classic, "train_on_batch"
    if family in ("vae", "conv_vae"):
        model = vae.dense_vae(latent_dim=10, seed=0) if family == "vae" else vae.conv_vae(latent_dim=16, seed=0)
        model.compile(optimizer="adam", jit_compile=jit)
        x, _ = _data(n, channels=family == "conv_vae")

        def classic(i: int) -> None:
            model.train_on_batch(x[i * BATCH % len(x):][:BATCH])

        return model, x, None, classic, "train_on_batch"
    if family in ("mlp_gan", "dcgan", "cgan"):
        if family == "mlp_gan":
            model = gan.mlp_gan(latent_dim=64, hidden=(256, 512), seed=0)
        else:
            model = gan.dcgan(latent_dim=100, filters=(32, 64), num_classes=10 if family == "cgan" else None,
                              projection=family == "cgan", seed=0)
        model.compile(jit_compile=jit)
        x, y = _data(n, channels=family != "mlp_gan")

        def classic(i: int) -> None:
            start = i * BATCH % len(x)
            gan.two_phase_train_on_batch(model, x[start:start + BATCH],
                                         labels=y[start:start + BATCH] if family == "cgan" else None, seed=i)

        return model, x, (y if family == "cgan" else None), classic, "two-phase train_on_batch"
    if family == "wgan_gp":
        model = wgan.wgan("gp", latent_dim=64, arch="mlp", hidden=(256, 512), seed=0)
        model.compile(jit_compile=jit)
        model.build_optimizers()
        x, _ = _data(n, channels=False)

        def classic(i: int) -> None:
            batch = model.to_model_range(x[i * 64 % len(x):][:64])
            for _ in range(model.d_steps):
                model.discriminator_step(batch)
            model.generator_step(64)

        return model, x, None, classic, "eager Python loop (critic and generator steps)"
    if family == "cyclegan":  # the chapter's book networks
        from helpers.models import cyclegan

        model = cyclegan.cyclegan(32, g_filters=16, d_filters=32, d_layers=2, pool_size=50, seed=0)
        model.compile(jit_compile=jit)
        x, _ = _data(n, channels=True, side=32, colours=3)
        y = x[::-1].copy()
        return model, x, y, _eager_steps(model, x, y, 8), "eager train_step loop"
    if family == "progan":  # the chapter's book networks and recipe at the final stage, mid-fade
        from helpers import config
        from helpers.models import progan

        model = progan.progan_from_budget(config.budget("ch12", "book"), seed=0, jit_compile=jit)
        model.set_stage(model.stages - 1, alpha=0.5)
        x, _ = _data(n, channels=True, side=32)
        return model, x, None, _eager_steps(model, x, None, BATCHES["progan"]), "eager train_step loop"
    if family == "stylegan":  # the chapter's book networks and recipe
        from helpers import config
        from helpers.models import stylegan

        model = stylegan.stylegan_from_budget(config.budget("ch13", "book"), seed=0, jit_compile=jit)
        x, _ = _data(n, channels=True, side=32)
        return model, x, None, _eager_steps(model, x, None, BATCHES["stylegan"]), "eager train_step loop"
    raise SystemExit(f"unknown family {family!r}; known: {', '.join(FAMILIES)}")


def _throughput(run: Callable[[int], None], steps: int, batch: int) -> float:
    start = time.perf_counter()
    run(steps)
    return steps * batch / (time.perf_counter() - start)


def _book_batch(chapter: str) -> int:
    sys.path.insert(0, str(ROOT))
    from helpers import config

    return int(config.budget(chapter, "book")["batch_size"])


BATCHES = {"wgan_gp": 64, "cyclegan": 8, "progan": _book_batch("ch12"),
           "stylegan": _book_batch("ch13")}  # the chapters' batch sizes


def _ms_per_call(fn: Callable[[], Any], calls: int, repeats: int) -> float:
    """Best-of-``repeats`` milliseconds per call of a compiled function (two warm-up calls first)."""
    import numpy as np
    import tensorflow as tf

    for _ in range(2):
        fn()
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        for _ in range(calls):
            out = fn()
        [np.asarray(v) for v in tf.nest.flatten(out)]  # wait for the last call
        best = min(best, (time.perf_counter() - start) / calls * 1000)
    return best


def profile(family: str, calls: int = 6, repeats: int = 2) -> list[dict[str, Any]]:
    """Where a ProGAN or StyleGAN train step spends its time: milliseconds per compiled step (no XLA).

    Parts are timed alone (the generator's forward pass, the critic's forward and backward passes, one R1
    penalty step), and whole steps are timed with one ingredient changed at a time against the book's
    recipe: the R1 penalty at every step instead of every ``r1_interval``-th, the WGAN-GP loss (the
    penalty's double backward pass at every step), the paper's 8-layer mapping network, no style mixing.
    :func:`measure` adds ``fit``'s time per step from its own (best-of) measurement: the gap between it and the
    bare compiled step is Python-side work (callbacks, the data iterator, metric results).
    """
    import keras
    import numpy as np
    import tensorflow as tf

    from helpers import config, losses
    from helpers.models import progan, stylegan

    chapter = "ch12" if family == "progan" else "ch13"
    budget = dict(config.budget(chapter, "book"))
    batch = int(budget["batch_size"])
    data = tf.constant(np.random.default_rng(0).random((batch, 32, 32, 1)).astype("float32"))

    def build(**changes: Any) -> Any:
        keras.utils.set_random_seed(0)
        row = {**budget, **changes}
        if family == "progan":
            model = progan.progan_from_budget(row, seed=0, jit_compile=False)
            model.set_stage(model.stages - 1, alpha=0.5)
        else:
            model = stylegan.stylegan_from_budget(row, seed=0, jit_compile=False)
        return model

    def step_ms(model: Any) -> float:
        step = tf.function(model.train_step)
        return _ms_per_call(lambda: step(data), calls, repeats)

    rows: list[dict[str, Any]] = []
    model = build()
    base = step_ms(model)
    rows.append({"part": "whole train step, the book's recipe", "ms": base})
    real = data * 2.0 - 1.0
    critic = model._critic if family == "progan" else model.discriminator
    z = model.noise(batch)
    generate = tf.function(lambda: model(z))
    rows.append({"part": "generator forward pass (one batch of fakes)", "ms": _ms_per_call(generate, calls, repeats)})

    @tf.function
    def critic_grads():
        with tf.GradientTape() as tape:
            score = tf.reduce_sum(critic(real))
        return tape.gradient(score, model.discriminator.trainable_variables)

    rows.append({"part": "critic forward + backward (one batch)", "ms": _ms_per_call(critic_grads, calls, repeats)})

    @tf.function
    def r1_grads():
        with tf.GradientTape() as tape:
            penalty = losses.r1_penalty(critic, real, 1.0)
        return tape.gradient(penalty, model.discriminator.trainable_variables)

    r1_ms = _ms_per_call(r1_grads, calls, repeats)
    interval = int(budget.get("r1_interval", 1))
    rows.append({"part": "one R1 penalty step (double backward)", "ms": r1_ms})
    rows.append({"part": f"the same, amortised over the {interval} critic steps of one lazy interval",
                 "ms": r1_ms / interval})
    variants = {"R1 at every critic step (not lazy)": {"r1_interval": 1},
                "WGAN-GP with drift (the penalty at every step)": {"loss": "wgan_gp"}}
    if family == "stylegan":
        variants["the paper's 8-layer mapping network"] = {"mapping_layers": 8}
        variants["no style mixing (one mapping pass)"] = {"mixing_prob": 0.0}
    for label, changes in variants.items():
        rows.append({"part": f"whole step with {label}", "ms": step_ms(build(**changes))})
    for row in rows:
        row["share"] = row["ms"] / base
    return rows


def add_fit_row(rows: list[dict[str, Any]], batch: int, fit_images_per_second: float) -> list[dict[str, Any]]:
    """Append ``fit``'s measured time per step to a :func:`profile` (shares relative to its first row)."""
    base = rows[0]["ms"]
    fit_ms = batch / fit_images_per_second * 1000
    return [*rows, {"part": "fit's time per step (Python-side work: this minus the whole step)", "ms": fit_ms,
                    "share": fit_ms / base}]


def measure(family: str, steps: int, repeats: int = 3) -> dict[str, Any]:
    """Best-of-``repeats`` throughput of the classic loop, fit and fit with XLA, and the peak memory."""
    import tensorflow as tf

    batch = BATCHES.get(family, BATCH)
    result: dict[str, Any] = {"family": family, "batch": batch, "steps": steps, "repeats": repeats}
    n = (steps + 2) * batch
    runs: dict[str, Callable[[int], None]] = {}
    for jit in (False, True):
        model, x, y, classic, classic_name = _build(family, jit, n)

        def fit(k: int, model=model, x=x, y=y) -> None:
            model.fit(x[:k * batch], None if y is None else y[:k * batch], batch_size=batch, epochs=1, verbose=0,
                      shuffle=False)

        try:
            fit(2)  # warm-up: traces (and with XLA compiles) the train function
        except Exception as err:  # noqa: BLE001 - a model XLA cannot compile is reported, not fatal
            if not jit:
                raise
            result["xla_error"] = f"{type(err).__name__}: {str(err).splitlines()[0][:200]}"
            continue
        runs["fit_xla" if jit else "fit"] = fit
        if not jit:
            for i in range(2):  # warm-up of the classic loop's own compiled functions
                classic(i)
            runs["classic"] = lambda k, step=classic: [step(i) for i in range(k)]
            result["classic_name"] = classic_name
    classic_steps = max(2, steps // 5) if result["classic_name"].startswith("eager") else steps
    for name in runs:
        result[name] = 0.0
    for _ in range(repeats):  # interleaved, so that a slow spell of the machine hits all three alike
        for name, run in runs.items():
            k = classic_steps if name == "classic" else steps
            result[name] = max(result[name], _throughput(run, k, batch))
    result.setdefault("fit_xla", None)
    best = max(result["fit"], result["fit_xla"] or 0.0)
    result["best"] = "fit_xla" if (result["fit_xla"] or 0.0) > result["fit"] else "fit"
    result["ratio"] = best / result["classic"]
    result["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    if family in ("progan", "stylegan") and os.environ.get("GENBOOK_BENCH_PROFILE", "1") == "1":
        result["profile"] = add_fit_row(profile(family), batch, result["fit"])
    gpus = tf.config.list_physical_devices("GPU")
    result["device"] = "GPU" if gpus else "CPU"
    if gpus:
        result["peak_gpu_mb"] = tf.config.experimental.get_memory_info("GPU:0")["peak"] / 2**20
    return result


# ---------------------------------------------------------------------------------------------- notebooks
def notebook_times() -> list[dict[str, Any]]:
    """Book and smoke seconds per notebook from the stamps, and the slowest cells of the book run."""
    import nbformat

    rows = []
    for path in sorted((ROOT / "notebooks").glob("*.ipynb")):
        nb = nbformat.read(path, as_version=4)
        stamp = nb.metadata.get("genbook", {})
        smoke_path = ROOT / "_build" / "smoke" / path.name
        smoke = nbformat.read(smoke_path, as_version=4).metadata.get("genbook", {}) if smoke_path.exists() else {}
        cells = [(c.metadata.get("papermill", {}).get("duration") or 0.0, c.source.strip().splitlines()[0][:70])
                 for c in nb.cells if c.cell_type == "code" and c.source.strip()]
        rows.append({"notebook": path.stem, "book_s": stamp.get("seconds"), "smoke_s": smoke.get("seconds"),
                     "slowest_cells": sorted(cells, reverse=True)[:3]})
    return rows


# ---------------------------------------------------------------------------------------------- report
def _fmt(value: Any, spec: str = ".0f") -> str:
    return "n/a" if value is None else format(value, spec) if isinstance(value, int | float) else str(value)


def write_report(results: list[dict[str, Any]], out: Path) -> None:
    records: dict[str, Any] = {}
    for path in sorted((ROOT / "notebooks").glob("*.ipynb")):
        records.update(recorded_values(path))
    times = notebook_times()
    device = results[0]["device"] if results else "n/a"
    lines = ["# Benchmark", "",
             f"Written by `make bench` (tools/bench.py) on {time.strftime('%Y-%m-%d')}, {device}, "
             f"{os.cpu_count()} cores. Throughput is training images per second (28x28 images, 32x32 for CycleGAN "
             "(colour), ProGAN and StyleGAN), after warm-up, best of the interleaved repeats; fit is what the "
             "book's CPU runs use (with op determinism on, Keras compiles nothing with XLA); "
             "ratio = the faster of fit and fit with XLA over the classic loop. Peak RSS is the whole process "
             "(TensorFlow included) for that family alone.", "",
             "| family | chapter | classic loop | classic img/s | fit img/s | fit + XLA img/s | best / classic "
             "| peak RSS (MB) |", "|---|---|---|---|---|---|---|---|"]
    for r in results:
        lines.append(f"| {r['family']} | {FAMILIES[r['family']]['chapter']} | {r['classic_name']} | "
                     f"{_fmt(r['classic'])} | {_fmt(r['fit'])} | {_fmt(r['fit_xla'])} | "
                     f"{_fmt(r['ratio'], '.2f')} ({r['best']}) | {_fmt(r['peak_rss_mb'])} |")
    ratios = {r["family"]: max(r["fit"], r["fit_xla"] or 0.0) for r in results}
    if "dcgan" in ratios:
        shown = ", ".join(f"{f} {ratios[f] / ratios['dcgan']:.2f}x" for f in ("progan", "stylegan") if f in ratios)
        if shown:
            lines += ["", f"Best of fit / fit + XLA against the DCGAN's best ({ratios['dcgan']:.0f} img/s) in this "
                      f"run: {shown} (bar: at least 0.25x)."]
    for r in results:
        if r.get("profile"):
            lines += ["", f"### Profile of a {r['family']} train step (batch {r['batch']}, compiled, no XLA)", "",
                      "| part | ms | share of the whole step |", "|---|---|---|"]
            lines += [f"| {p['part']} | {p['ms']:.1f} | {p['share']:.2f} |" for p in r["profile"]]
    lines += ["", "## Quality (from the committed notebooks)", "",
              "| family | recorded figures | anchor |", "|---|---|---|"]
    for family, spec in FAMILIES.items():
        shown = ", ".join(f"{name} = {_fmt(records.get(name), '.4g')}" for name in spec["records"])
        lines.append(f"| {family} | {shown} | {spec['anchor']} |")
    lines += ["", "## Time per notebook", "",
              "Book: the stamp of the committed outputs (shared 2-core CPU). Smoke: the stamp of the last "
              "`make smoke` run in _build/smoke, if any.", "",
              "| notebook | smoke (s) | book (s) | slowest cells of the book run (s) |", "|---|---|---|---|"]
    for t in times:
        cells = "; ".join(f"{d:.0f}: `{src}`" for d, src in t["slowest_cells"] if d >= 1)
        lines.append(f"| {t['notebook']} | {_fmt(t['smoke_s'], '.1f')} | {_fmt(t['book_s'], '.1f')} | {cells} |")
    booked = [t for t in times if t["book_s"]]
    if booked:
        slowest = max(booked, key=lambda t: t["book_s"])
        lines += ["", f"Slowest notebook in book mode: {slowest['notebook']} ({slowest['book_s']:.0f} s); "
                  f"its most expensive cell took {slowest['slowest_cells'][0][0]:.0f} s: "
                  f"`{slowest['slowest_cells'][0][1]}`."]
    out.mkdir(parents=True, exist_ok=True)
    (out / "results.md").write_text("\n".join(lines) + "\n")
    (out / "results.json").write_text(json.dumps({"throughput": results, "records": records, "notebooks": times},
                                                  indent=1, default=str) + "\n")
    print("\n".join(lines))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--steps", type=int, default=0, help="timed batches per measurement (0: each family's own)")
    parser.add_argument("--families", default=",".join(FAMILIES), help="comma-separated families")
    parser.add_argument("--repeats", type=int, default=3, help="timed rounds per measurement; each keeps its best")
    parser.add_argument("--out", type=Path, default=ROOT / "bench")
    parser.add_argument("--one", help=argparse.SUPPRESS)  # internal: measure one family, print JSON
    args = parser.parse_args(argv)
    if args.one:
        print("BENCH " + json.dumps(measure(args.one, args.steps, args.repeats)))
        return 0
    results = []
    for family in args.families.split(","):
        if family not in FAMILIES:
            parser.error(f"unknown family {family!r}; known: {', '.join(FAMILIES)}")
        start = time.perf_counter()
        steps = args.steps or FAMILIES[family]["steps"]
        proc = subprocess.run([sys.executable, __file__, "--one", family, "--steps", str(steps),
                               "--repeats", str(args.repeats)],
                              capture_output=True, text=True, env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"})
        line = next((x for x in proc.stdout.splitlines() if x.startswith("BENCH ")), None)
        if proc.returncode or line is None:
            print(proc.stdout[-2000:], proc.stderr[-4000:], file=sys.stderr)
            raise SystemExit(f"bench: {family} failed")
        results.append(json.loads(line[6:]))
        r = results[-1]
        print(f"bench: {family}: classic {r['classic']:.0f}, fit {r['fit']:.0f}, fit+XLA {_fmt(r['fit_xla'])} img/s "
              f"({time.perf_counter() - start:.0f} s)", flush=True)
    write_report(results, args.out)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
