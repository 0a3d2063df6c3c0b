"""Benchmark of the service desk's assistant: latency per question and top-1 accuracy on held-out questions.

    .venv/bin/python bench/bench_assistant.py [--rounds 5] [--show-misses] [--calibrate]

Issue 13's target: "the assistant answers in ≤ 50 ms per question over a knowledge base of ≥ 2,000
entries, and its top-1 answer is right on a held-out set of paraphrased questions you write (report
the accuracy beside a plain keyword-match baseline measured in the same run)."

In one process: build the knowledge base and its index (timed, cold and from the segmentation
cache), then answer every held-out question (qinqing/servicedesk/assistant/data/heldout.json)
`--rounds` times through the public `answer()` (handover checks, ranking, confidence, citations),
and time the keyword baseline (evaluation.KeywordBaseline) on the same questions. Prints latency
median / p95 / max, top-1 accuracy of both, and how confidence separates right from wrong answers.

--calibrate fits the confidence's logistic model (ranking.confidence_of) on the held-out and
off-topic questions, prints its coefficients and a two-fold cross-validation, and exits.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "qinqing.settings")


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--show-misses", action="store_true")
    parser.add_argument("--calibrate", action="store_true")
    args = parser.parse_args()

    import django

    django.setup()
    from django.urls import reverse

    reverse("web:home")  # import the URLconf outside the timed build, as a running server has
    from qinqing.servicedesk.assistant import answer, knowledge, ranking
    from qinqing.servicedesk.assistant.answering import HANDOVER_BELOW
    from qinqing.servicedesk.assistant.evaluation import KeywordBaseline, accuracy, heldout, off_topic

    if args.calibrate:
        calibrate()
        return
    started = time.perf_counter()
    index = ranking.index()
    first_build = time.perf_counter() - started
    ranking.reset()
    started = time.perf_counter()
    index = ranking.index()
    warm_build = time.perf_counter() - started
    entries = index.entries
    kinds: dict[str, int] = {}
    for entry in entries:
        kinds[entry.kind] = kinds.get(entry.kind, 0) + 1
    questions = heldout()
    print(f"knowledge base: {len(entries)} entries {kinds}; sources {len(knowledge.source_files())} files")
    print(f"index build: first {first_build:.2f} s, again in a fresh index (segmentation cached) {warm_build:.2f} s")

    latencies: list[float] = []
    for _ in range(args.rounds):
        for q in questions:
            t = time.perf_counter()
            answer(q.text)
            latencies.append((time.perf_counter() - t) * 1000)

    baseline = KeywordBaseline(entries)
    base_latencies: list[float] = []
    for q in questions:
        t = time.perf_counter()
        baseline.top(q.text)
        base_latencies.append((time.perf_counter() - t) * 1000)

    def top(text: str) -> str | None:
        hits = ranking.rank(text).hits
        return hits[0].entry.key if hits else None

    ours = accuracy(questions, top)
    base = accuracy(questions, baseline.top)
    print(f"held-out questions: {len(questions)}")
    print(f"answer() latency: median {statistics.median(latencies):.2f} ms, p95 {percentile(latencies, 95):.2f} ms, "
          f"max {max(latencies):.2f} ms over {len(latencies)} calls")
    print(f"keyword baseline latency: median {statistics.median(base_latencies):.2f} ms, "
          f"p95 {percentile(base_latencies, 95):.2f} ms")
    print(f"top-1 accuracy: jieba + BM25 {ours:.1%}   keyword baseline {base:.1%}")

    right, wrong, handed, kept_right = [], [], 0, 0
    for q in questions:
        result = ranking.rank(q.text)
        key = result.hits[0].entry.key if result.hits else None
        confidence = result.confidence
        (right if q.accepts(key) else wrong).append(confidence)
        if confidence < HANDOVER_BELOW:
            handed += 1
        elif q.accepts(key):
            kept_right += 1
        if args.show_misses and not q.accepts(key):
            print(f"  miss {q.text} → {key} ({confidence:.2f}), expected {q.expected}")
    answered = len(questions) - handed
    bins = [(0.0, 0.35), (0.35, 0.5), (0.5, 0.7), (0.7, 0.85), (0.85, 1.01)]
    for low, high in bins:
        inside = [ok for ok, c in [(True, c) for c in right] + [(False, c) for c in wrong] if low <= c < high]
        if inside:
            print(f"  confidence {low:.2f}–{min(high, 1):.2f}: {len(inside)} questions, "
                  f"{sum(inside) / len(inside):.0%} right")
    strays = off_topic()
    handed_strays = sum(answer(s).handover for s in strays)
    print(f"off-topic questions handed over: {handed_strays}/{len(strays)}")
    print(f"confidence: mean {statistics.mean(right + wrong):.2f} (right answers {statistics.mean(right):.2f}, "
          f"wrong {statistics.mean(wrong) if wrong else 0:.2f}); handed over below {HANDOVER_BELOW}: {handed}; "
          f"accuracy of the answers kept: {kept_right / answered if answered else 0:.1%}")


def calibrate() -> None:
    """Fit the confidence model by gradient descent on the log-loss; report a two-fold cross-validation."""
    import numpy as np

    from qinqing.servicedesk.assistant import ranking
    from qinqing.servicedesk.assistant.evaluation import heldout, off_topic

    rows, labels, on_topic = [], [], []
    for q in heldout():
        result = ranking.rank(q.text)
        rows.append([1.0, *ranking.features(result)])
        labels.append(float(q.accepts(result.hits[0].entry.key)))
        on_topic.append(True)
    for text in off_topic():
        result = ranking.rank(text)
        if result.hits:  # a question with no known word gets confidence 0 without the model
            rows.append([1.0, *ranking.features(result)])
            labels.append(0.0)
            on_topic.append(False)
    x, y, real = np.array(rows), np.array(labels), np.array(on_topic)

    def fit(x: np.ndarray, y: np.ndarray) -> np.ndarray:
        w = np.zeros(x.shape[1])
        for _ in range(20000):
            p = 1 / (1 + np.exp(-x @ w))
            w -= 0.5 * (x.T @ (p - y) / len(y) + 0.01 * np.r_[0, w[1:]])
        return w

    fold = np.arange(len(y)) % 2
    for k in (0, 1):
        w = fit(x[fold != k], y[fold != k])
        p = 1 / (1 + np.exp(-x[fold == k] @ w))
        held, stray = real[fold == k], ~real[fold == k]
        print(f"fold {k}: held-out mean confidence {p[held].mean():.2f}, accuracy {y[fold == k][held].mean():.2f}; "
              f"off-topic mean confidence {p[stray].mean():.2f}")
    w = fit(x, y)
    print("coefficients (intercept, margin, coverage, known, log top score):", ", ".join(f"{v:.2f}" for v in w))


if __name__ == "__main__":
    main()
