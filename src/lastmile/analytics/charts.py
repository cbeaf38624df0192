"""The report's charts as PNG files, drawn with matplotlib's object API (no pyplot, no screen).

Each function writes one file into ``out_dir`` and returns its name; a chart with nothing to
draw still gets a file that says so, so the report's links never dangle.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from matplotlib.figure import Figure

from lastmile.analytics.compare import A_BETTER, B_BETTER, DIFFERS, Comparison
from lastmile.analytics.model import KpiSet, Scorecard

GOOD, BAD, NEUTRAL, ACCENT, AMBER = "#2e7d32", "#c62828", "#757575", "#1565c0", "#ef6c00"


def _save(fig: Figure, out_dir: Path, name: str) -> str:
    fig.tight_layout()
    fig.savefig(out_dir / name, dpi=100, metadata={"Software": None})
    return name


def _no_data(ax: Any, what: str) -> None:
    ax.text(0.5, 0.5, f"no {what}", ha="center", va="center", transform=ax.transAxes)
    ax.set_xticks([])
    ax.set_yticks([])


def _percent(value: float | None) -> float:
    return 0.0 if value is None else value * 100


def on_time_by_window(card: Scorecard, out_dir: Path) -> str:
    """On-time share per promised-window bucket, each bar labelled with its fraction (buckets
    without a promise are left out)."""
    groups = [w for w in card.by_window if w.on_time.value is not None]
    fig = Figure(figsize=(max(8.0, 0.4 * len(groups) + 2), 4))
    ax = fig.subplots()
    if groups:
        bars = ax.bar(
            [w.group for w in groups], [_percent(w.on_time.value) for w in groups], color=ACCENT
        )
        ax.bar_label(
            bars, [f"{w.on_time.numerator}/{w.on_time.denominator}" for w in groups], fontsize=7
        )
        ax.set_ylim(0, 110)
        ax.set_ylabel("on time (%)")
        _slant(ax)
    else:
        _no_data(ax, "promised windows")
    ax.set_title("On time in the promised window, by window (local time)")
    return _save(fig, out_dir, "on_time_by_window.png")


def _slant(ax: Any) -> None:
    for label in ax.get_xticklabels():
        label.set(rotation=45, ha="right", rotation_mode="anchor")


def zone_rates(card: Scorecard, out_dir: Path) -> str:
    """First-attempt success and on-time share side by side for each zone."""
    groups = [z for z in card.by_zone if z.counts.orders]
    fig = Figure(figsize=(8, 4))
    ax = fig.subplots()
    if groups:
        xs = range(len(groups))
        ax.bar(
            [x - 0.2 for x in xs],
            [_percent(z.first_attempt.value) for z in groups],
            0.4,
            label="first attempt",
            color=ACCENT,
        )
        ax.bar(
            [x + 0.2 for x in xs],
            [_percent(z.on_time.value) for z in groups],
            0.4,
            label="on time",
            color=GOOD,
        )
        ax.set_xticks(list(xs), [z.group for z in groups])
        _slant(ax)
        ax.set_ylim(0, 120)  # room above 100% for the legend
        ax.set_ylabel("%")
        ax.legend(loc="upper center", ncols=2)
    else:
        _no_data(ax, "orders")
    ax.set_title("First-attempt success and on time, by zone")
    return _save(fig, out_dir, "zone_rates.png")


def dwell_by_zone(card: Scorecard, out_dir: Path) -> str:
    """Dwell distribution per zone as boxes (P25–P75, median) with P10–P90 whiskers."""
    groups = [z for z in card.by_zone if z.dwell.count]
    fig = Figure(figsize=(8, 4))
    ax = fig.subplots()
    if groups:
        stats = [_box(z) for z in groups]
        ax.bxp(stats, showfliers=False)
        ax.set_ylabel("dwell (min)")
        _slant(ax)
    else:
        _no_data(ax, "dwell times")
    ax.set_title("Dwell at the stop by zone (whiskers P10–P90)")
    return _save(fig, out_dir, "dwell_by_zone.png")


def _box(k: KpiSet) -> dict[str, Any]:
    d = k.dwell
    minutes = [(v or 0.0) / 60 for v in (d.p10_s, d.p25_s, d.median_s, d.p75_s, d.p90_s)]
    return {
        "label": k.group,
        "whislo": minutes[0],
        "q1": minutes[1],
        "med": minutes[2],
        "q3": minutes[3],
        "whishi": minutes[4],
    }


def eta_errors(card: Scorecard, out_dir: Path) -> str:
    """Histogram of actual minus P50 in minutes; the tails beyond ±60 are written on it."""
    h = card.eta_errors
    fig = Figure(figsize=(8, 4))
    ax = fig.subplots()
    if sum(h.counts) + h.below + h.above:
        lefts = h.edges_min[:-1]
        widths = [b - a for a, b in zip(h.edges_min, h.edges_min[1:], strict=False)]
        ax.bar(lefts, h.counts, width=widths, align="edge", color=ACCENT, edgecolor="white")
        ax.axvline(0, color=NEUTRAL, linewidth=1)
        ax.set_xlabel("arrival minus ETA P50 (min); positive = later than announced")
        ax.set_ylabel("ETA samples")
        ax.text(0.01, 0.95, f"< {h.edges_min[0]:g}: {h.below}", transform=ax.transAxes)
        ax.text(0.99, 0.95, f"> {h.edges_min[-1]:g}: {h.above}", transform=ax.transAxes, ha="right")
    else:
        _no_data(ax, "ETA samples")
    ax.set_title("ETA error")
    return _save(fig, out_dir, "eta_errors.png")


def vehicles(card: Scorecard, out_dir: Path) -> str:
    """km per stop and cost per stop for each vehicle."""
    rows = [v for v in card.by_vehicle if v.fleet.km_per_stop is not None]
    fig = Figure(figsize=(8, max(3.0, 0.3 * len(rows) + 1.5)))
    left, right = fig.subplots(1, 2, sharey=True)
    if rows:
        names = [v.vehicle_ref for v in rows]
        left.barh(names, [v.fleet.km_per_stop or 0.0 for v in rows], color=ACCENT)
        right.barh(names, [v.fleet.cost_per_stop or 0.0 for v in rows], color=NEUTRAL)
        left.set_xlabel("km per stop")
        right.set_xlabel("cost per stop")
        left.invert_yaxis()
    else:
        _no_data(left, "vehicles with stops")
        _no_data(right, "vehicles with stops")
    fig.suptitle("km and cost per stop, by vehicle")
    return _save(fig, out_dir, "vehicles.png")


def forest(comparison: Comparison, out_dir: Path) -> str:
    """Each KPI's mean difference B − A with its interval, as a percentage of A's mean so that
    KPIs in different units share one axis; green where B is better, red where it is worse,
    amber where it differs on a KPI with no better direction."""
    rows = [
        k
        for k in comparison.kpis
        if k.mean_diff is not None and k.ci_low is not None and k.ci_high is not None and k.mean_a
    ]
    fig = Figure(figsize=(8, max(3.0, 0.4 * len(rows) + 1.5)))
    ax = fig.subplots()
    if rows:
        for y, k in enumerate(rows):
            scale = 100 / abs(k.mean_a or 1.0)
            mid, low, high = (
                (k.mean_diff or 0.0) * scale,
                (k.ci_low or 0.0) * scale,
                (k.ci_high or 0.0) * scale,
            )
            colour = {B_BETTER: GOOD, A_BETTER: BAD, DIFFERS: AMBER}.get(k.verdict, NEUTRAL)
            ax.errorbar(mid, y, xerr=[[mid - low], [high - mid]], fmt="o", color=colour, capsize=3)
        ax.axvline(0, color="black", linewidth=1)
        ax.set_yticks(range(len(rows)), [k.label for k in rows])
        ax.invert_yaxis()
        ax.set_xlabel(
            f"{comparison.policy_b} − {comparison.policy_a}, % of "
            f"{comparison.policy_a}'s mean ({comparison.confidence:.0%} interval)"
        )
    else:
        _no_data(ax, "KPI with an interval (at least two seeds are needed)")
    ax.set_title(
        f"{comparison.policy_b} vs {comparison.policy_a} over {len(comparison.seeds)} seeds"
    )
    return _save(fig, out_dir, "forest.png")
