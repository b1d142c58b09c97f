"""The operations notebook (``examples/notebooks/operations.ipynb``) runs from
top to bottom in a Jupyter kernel on the installed package: in-memory
upstreams, no network. The executed copy is written to
``bindings/python/build/notebooks/`` (ignored by git) for a look at its
charts; the committed notebook carries no outputs."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import nbformat
import pytest
from nbclient import NotebookClient

HERE = Path(__file__).resolve().parent
NOTEBOOK = HERE.parents[2] / "examples" / "notebooks" / "operations.ipynb"
EXECUTED = HERE.parent / "build" / "notebooks" / NOTEBOOK.name


def test_the_committed_notebook_has_no_outputs() -> None:
    document = json.loads(NOTEBOOK.read_text(encoding="utf-8"))
    code = [cell for cell in document["cells"] if cell["cell_type"] == "code"]
    assert code
    for cell in code:
        assert cell["outputs"] == [], cell["source"][:1]
        assert cell["execution_count"] is None, cell["source"][:1]
    nbformat.validate(nbformat.reads(NOTEBOOK.read_text(encoding="utf-8"), as_version=4))  # type: ignore[no-untyped-call]


def outputs(notebook: Any, output_type: str) -> list[Any]:
    return [
        output
        for cell in notebook.cells
        if cell.cell_type == "code"
        for output in cell.outputs
        if output.output_type == output_type
    ]


def test_the_notebook_runs_in_a_kernel(monkeypatch: pytest.MonkeyPatch) -> None:
    # The kernel inherits this environment: the defaults (in memory, no resolver).
    for name in ("DEZKY_NOTEBOOK_REAL", "DEZKY_NOTEBOOK_NAMESERVER", "DEZKY_NOTEBOOK_ZONE_DIR"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("MPLBACKEND", "module://matplotlib_inline.backend_inline")
    notebook = nbformat.read(NOTEBOOK, as_version=4)  # type: ignore[no-untyped-call]
    client = NotebookClient(
        notebook,
        timeout=120,
        kernel_name="python3",
        resources={"metadata": {"path": str(NOTEBOOK.parent)}},
    )
    started = time.monotonic()
    try:
        client.execute()  # raises CellExecutionError on the first failing cell
    finally:
        EXECUTED.parent.mkdir(parents=True, exist_ok=True)
        nbformat.write(notebook, EXECUTED)  # type: ignore[no-untyped-call]
    elapsed = time.monotonic() - started
    assert elapsed < 60, f"the notebook took {elapsed:.1f} s"

    assert outputs(notebook, "error") == []
    text = "".join(o.text for o in outputs(notebook, "stream") if o.name == "stdout")
    assert "upstreams: in memory" in text
    assert "wave 3: 2 tenants, 2 activated, 0 unsettled" in text
    assert "after suspend: suspended" in text and "after resume: active" in text
    assert "total MRR:" in text and "unpriced: none" in text
    assert "Verification skipped" in text
    assert "tenants enabled" in text
    images = [o for o in outputs(notebook, "display_data") if "image/png" in o.data]
    assert len(images) == 2  # MRR, audit activity
    tables = [o.data["text/markdown"] for o in outputs(notebook, "display_data") if "text/markdown" in o.data]
    assert any("acme.test" in t and "_dmarc" in t for t in tables)
    assert all(cell.execution_count is not None for cell in notebook.cells if cell.cell_type == "code")
