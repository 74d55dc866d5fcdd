"""Results in notebooks: an HTML view for Jupyter and rows for pandas.

:class:`NotebookMixin` gives a result type (anything with ``to_dict()``) ``_repr_html_``, so
Jupyter shows the offline HTML report inline, and ``to_pandas()``, a DataFrame of its main rows
(plans, fleet entries or cases, nested fields flattened to ``layout.tp``). pandas is optional.
"""

from __future__ import annotations

import html
import json
from typing import Any

__all__ = ["NotebookMixin", "flat_row", "main_rows"]


def main_rows(payload: Any) -> list[Any]:
    """The rows a table of ``payload`` shows: the payload itself when it is a list, else its
    fleet entries, plans, cases or problems (the first found), else the payload as one row."""
    if isinstance(payload, list):
        return payload
    if isinstance(payload, dict):
        fleet = payload.get("fleet")
        if isinstance(fleet, dict) and isinstance(fleet.get("entries"), list):
            return list(fleet["entries"])
        for key in ("plans", "cases", "problems"):
            if isinstance(payload.get(key), list):
                return list(payload[key])
    return [payload]


def flat_row(row: Any, prefix: str = "") -> dict[str, Any]:
    """A row as one level of ``a.b`` keys; a list of plain values joined with spaces, other
    lists as JSON text."""
    if not isinstance(row, dict):
        return {prefix or "value": row}
    out: dict[str, Any] = {}
    for key, value in row.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict):
            out.update(flat_row(value, f"{name}."))
        elif isinstance(value, list):
            plain = all(not isinstance(v, dict | list) for v in value)
            out[name] = " ".join(str(v) for v in value) if plain else json.dumps(value)
        else:
            out[name] = value
    return out


class NotebookMixin:
    """``_repr_html_`` and ``to_pandas()`` for a result type with ``to_dict()``."""

    def to_dict(self) -> dict[str, Any]:  # pragma: no cover - provided by the result type
        raise NotImplementedError

    def _repr_html_(self) -> str:
        """The HTML report in an isolated frame (its styles stay out of the notebook's)."""
        from xpuplan.report import render_html

        document = html.escape(render_html(self.to_dict()), quote=True)
        return (
            f'<iframe srcdoc="{document}" style="width:100%;height:640px;border:0" '
            'sandbox="allow-same-origin" title="xpuplan report"></iframe>'
        )

    def to_pandas(self) -> Any:
        """A ``pandas.DataFrame`` of the result's rows (plans, fleet entries or cases)."""
        try:
            import pandas as pd  # type: ignore[import-untyped,unused-ignore]  # optional
        except ImportError:
            raise ImportError(
                "to_pandas() needs pandas, which xpuplan does not install: pip install pandas "
                "(or use to_dict())"
            ) from None
        return pd.DataFrame([flat_row(r) for r in main_rows(self.to_dict())])
