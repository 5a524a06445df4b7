"""`transferkit demo`: appliance recognition across countries, no download needed."""

from __future__ import annotations

from pathlib import Path

import typer


def demo(
    seed: int = typer.Option(
        0, min=0, max=2**32 - 1, help="Seed of the simulation, the labels and the models."
    ),
    labels_per_class: int = typer.Option(
        2, "--labels-per-class", help="Labelled target records per class (1 to 5)."
    ),
    output: str = typer.Option(
        "transferkit_demo", "--output", "-o", help="Folder of the HTML report."
    ),
    data: str | None = typer.Option(
        None,
        "--data",
        help="Data folder holding nilm/ (PLAID 2018 and HFHAD-C subsets): run the real "
        "US -> China transfer instead of the simulation.",
    ),
    deep: bool = typer.Option(True, "--deep/--no-deep", help="Include DANN (needs torch)."),
    report: bool = typer.Option(True, "--report/--no-report", help="Write the HTML report."),
) -> None:
    """Appliance recognition from V-I images: US -> Chinese houses, with and without transfer."""
    from rich.console import Console
    from rich.progress import Progress
    from rich.table import Table

    from transferkit._optional import MissingExtraError
    from transferkit._progress import progress_columns
    from transferkit.demo import (
        check_labels_per_class,
        real_demo_data,
        run_demo_on,
        simulated_demo_data,
        write_report,
    )

    check_labels_per_class(labels_per_class)
    console = Console()
    if data is None:
        console.print(
            "[bold]transferkit demo[/bold]: appliance recognition from V-I images. Source: "
            "simulated US houses (60 Hz, 120 V); target: simulated Chinese houses (50 Hz, "
            "220 V, other appliance models). Classifier: logistic regression."
        )
    else:
        console.print(
            f"[bold]transferkit demo --data {data}[/bold]: PLAID 2018 (US) -> HFHAD-C (China) "
            "on their shared classes. Classifier: logistic regression."
        )
    from transferkit._optional import is_available

    if deep and not is_available("torch"):
        console.print(
            "DANN is left out: torch is not installed (pip install 'transferkit[torch]')."
        )
        deep = False
    total = 15 if deep else 14
    from threadpoolctl import threadpool_limits

    if deep:
        import torch

        torch.set_num_threads(1)  # this command's process only: small models, shared CPUs
    with (
        threadpool_limits(limits=1),
        Progress(*progress_columns(), console=Console(stderr=True), transient=True) as bar,
    ):
        job = bar.add_task("preparing the data", total=total)

        def step(text: str) -> None:
            bar.update(job, advance=1, description=text)

        if data is None:
            step("simulating US and Chinese houses")
            dataset = simulated_demo_data(random_state=seed)
        else:
            step("loading PLAID 2018 and HFHAD-C")
            dataset = real_demo_data(Path(data))
        result = run_demo_on(
            dataset, labels_per_class=labels_per_class, deep=deep, random_state=seed, progress=step
        )
        bar.update(job, completed=total)
    table = Table(title="Target accuracy on the test records")
    table.add_column("method")
    table.add_column("target labels used", justify="right")
    table.add_column("accuracy", justify="right")
    table.add_column("macro-F1", justify="right")
    baseline = result.rows[0].target_accuracy
    for row in result.rows:
        gain = row.target_accuracy - baseline
        table.add_row(
            row.method,
            row.uses_target_labels,
            f"{100 * row.target_accuracy:.1f}%"
            + (f" ({100 * gain:+.1f})" if row is not result.rows[0] else ""),
            f"{100 * row.macro_f1:.1f}%",
        )
    console.print(table)
    distances = Table(title="Domain distance, source vs target")
    for column in ("feature space", "MMD", "proxy A-distance"):
        distances.add_column(column, justify="left" if column == "feature space" else "right")
    for space, mmd, pad in result.distances:
        distances.add_row(space, f"{mmd:.3f}", f"{pad:.2f}")
    console.print(distances)
    checks = Table(title="Negative-transfer check (assess_transfer) vs the measured gain")
    for column in ("method", "verdict", "evidence", "measured gain"):
        checks.add_column(column, justify="right" if column == "measured gain" else "left")
    for name, verdict, _gain, _interval, evidence, measured in result.assessments:
        checks.add_row(name, verdict, evidence, f"{100 * measured:+.1f}")
    console.print(checks)
    if report:
        try:
            path = write_report(result, Path(output))
        except MissingExtraError as exc:
            console.print(f"[yellow]No HTML report: {exc}[/yellow]")
            raise typer.Exit(1) from None
        console.print(f"HTML report: {path}")
