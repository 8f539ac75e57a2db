"""The benchmark's table (text, also pasted into docs/benchmarks.md) and chart (PNG)."""

from __future__ import annotations

from pathlib import Path

from bench import every_type, phases, search_load, tokens


def _ratio(a: float, b: float) -> str:
    return f"{a / b:.2f}x" if b else "n/a"


def table(results: dict) -> str:
    m = results["machine"]
    lines = [
        f"Machine: {m['cores']} cores, {m['memory_gb']} GB, {m['system']}, Python {m['python']}; "
        f"chunk {results['chunk_mb']} MiB; {results['when']}",
        "",
        "| file | rows | Sieve validation | polars floor | Sieve / floor | Python loop | Python / Sieve "
        "| end-to-end | upload MB/s | loopback MB/s | web peak RSS | worker peak RSS |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for f in results["files"]:
        python = f"{f['python_loop_s']:.2f} s" + (
            " (extrap.)" if f["python_loop_extrapolated"] else ""
        )
        lines.append(
            f"| {f['kind']} {f['size_mb']} MB | {f['rows']:,} | {f['validation_s']:.2f} s "
            f"| {f['polars_floor_s']:.2f} s | {_ratio(f['validation_s'], f['polars_floor_s'])} "
            f"| {python} | {_ratio(f['python_loop_s'], f['validation_s'])} | {f['end_to_end_s']:.2f} s "
            f"| {f['upload_mb_s']} | {f['loopback_copy_mb_s']} | {f['web_peak_rss_mb']:.0f} MB "
            f"| {f['worker_peak_rss_mb']:.0f} MB |"
        )
    lines += ["", *latency_table(results["latency"])] if "latency" in results else []
    lines += ["", *intake_table(results["intake"])] if "intake" in results else []
    lines += ["", *every_type.table(results["types"])] if "types" in results else []
    lines += ["", *phases.table(results["phases"])] if "phases" in results else []
    lines += ["", *tokens.table(results["tokens"])] if "tokens" in results else []
    lines += ["", *search_load.table(results["search_load"])] if "search_load" in results else []
    lines += [
        "",
        f"Scaling ({results['scaling_file_mb']} MB embed-input JSONL): "
        + ", ".join(
            f"{p['workers']} worker{'s' if p['workers'] > 1 else ''}: "
            f"{p['validation_s']:.2f} s ({p['speedup']}x, efficiency {p['efficiency']})"
            for p in results["scaling"]
        ),
    ]
    api = results["api"]
    lines += [
        "",
        f"API latency, {api['datasets']:,} datasets in one org, {api['clients']} clients:",
        "",
        "| endpoint | Sieve p50 | Sieve p99 | bare Flask p50 | bare Flask p99 | p99 ratio |",
        "|---|---|---|---|---|---|",
    ]
    for endpoint in ("list", "get"):
        s, b = api[endpoint]["sieve"], api[endpoint]["bare_flask"]
        lines.append(
            f"| {endpoint} | {s['p50_ms']} ms | {s['p99_ms']} ms | {b['p50_ms']} ms "
            f"| {b['p99_ms']} ms | {_ratio(s['p99_ms'], b['p99_ms'])} |"
        )
    return "\n".join(lines)


def latency_table(latency: dict) -> list[str]:
    floor = latency["polars_floor_s"]
    together = latency["together_check_s"]
    lines = [
        f"Verdict after the last byte, {latency['kind']} {latency['size_mb']} MB "
        f"(polars floor {floor:.2f} s; peers checking the same file: pure-Python loop "
        f"{latency['python_loop_s']:.2f} s, `together files check` "
        + (f"{together:.2f} s" if together is not None else "not installed")
        + f"; loopback socket sink {latency['loopback_copy_mb_s']} MB/s):",
        "",
        "| sent as | upload | upload MB/s | verdict after the upload | / floor | web peak RSS "
        "| web bytes written / byte |",
        "|---|---|---|---|---|---|---|",
    ]
    for name, label in (
        ("loopback", "one POST, loopback"),
        ("rate_64mb_s", "one POST at 64 MB/s"),
        ("resumable_parts", "resumable, 4 parts at a time"),
    ):
        r = latency[name]
        lines.append(
            f"| {label} | {r['upload_s']:.2f} s | {r['upload_mb_s']} "
            f"| {r['verdict_after_upload_s']:.2f} s | {r['ratio_to_floor']}x "
            f"| {r['web_peak_rss_mb']:.0f} MB | {r.get('web_bytes_written_per_byte', '-')} |"
        )
    return lines


def intake_table(intake: list[dict]) -> list[str]:
    """bench/intake.py's rows: bytes the web tier wrote per uploaded byte, upload speed."""
    lines = [
        "Upload intake (curl sends the POST; `sieve upload`'s client the resumable parts):",
        "",
        "| sent as | workers validating | web bytes written / byte | upload MB/s | web peak RSS |",
        "|---|---|---|---|---|",
    ]
    for row in intake:
        lines.append(
            f"| {row['sent_as']} | {row['workers']} | {row['web_bytes_written_per_byte']} "
            f"| {row['upload_mb_s']} | {row['web_peak_rss_mb']:.0f} MB |"
        )
    return lines


def chart(results: dict, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    files = [f for f in results["files"] if f["kind"] == "embed-jsonl"]
    sizes = [f["size_mb"] for f in files]
    figure, axis = plt.subplots(figsize=(7, 4.2))
    for key, label in (
        ("validation_s", "Sieve validation"),
        ("polars_floor_s", "polars chunked floor"),
        ("python_loop_s", "pure-Python loop"),
    ):
        axis.plot(sizes, [f[key] for f in files], marker="o", label=label)
    axis.set_xscale("log")
    axis.set_yscale("log")
    axis.set_xlabel("embed-input JSONL file size (MB)")
    axis.set_ylabel("seconds")
    axis.set_title(f"Validation time vs size ({results['machine']['cores']} cores)")
    axis.grid(True, which="both", alpha=0.3)
    axis.legend()
    figure.tight_layout()
    figure.savefig(path, dpi=110)
