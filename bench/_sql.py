"""SQL helpers shared by the benchmarks' data generators; import after django.setup()."""

from django.db import connection


def default_columns(model, overrides: dict) -> tuple[str, str]:
    """Every column of `model` with its default as SQL, the overrides as given."""
    cols, exprs = [], []
    for f in model._meta.concrete_fields:
        if f.primary_key and f.name not in overrides:
            continue
        cols.append(connection.ops.quote_name(f.column))
        if f.column in overrides:
            exprs.append(overrides[f.column])
        elif f.name in ("created_at", "updated_at", "recorded_at"):
            exprs.append("now()")
        else:
            v = f.get_default()
            if v is None:
                exprs.append("NULL")
            elif isinstance(v, bool):
                exprs.append("true" if v else "false")
            elif isinstance(v, (list, dict)):
                exprs.append("'[]'::jsonb" if isinstance(v, list) else "'{}'::jsonb")
            elif isinstance(v, (int, float)) or type(v).__name__ == "Decimal":
                exprs.append(str(v))
            else:
                exprs.append("'" + str(v).replace("'", "''") + "'")
    return ", ".join(cols), ", ".join(exprs)
