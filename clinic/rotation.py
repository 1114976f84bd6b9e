"""Key rotation over every encrypted column of every model, history tables included."""

from __future__ import annotations

from collections.abc import Callable, Iterator

from django.apps import apps
from django.db import connection, transaction
from django.db.models import Model

from clinic import crypto

# model label -> {hash column: encrypted column it is the blind index of}. Apps register here the
# blind indexes of their models (stored values are already normalised, so the hash is of the value).
BLIND_INDEXES: dict[str, dict[str, str]] = {}

# Encrypted values kept outside an EncryptedTextField (such as a secret inside a JSON column)
# are rotated by functions that apps register here; each returns how many values it rotated.
EXTRA_ROTATIONS: dict[str, Callable[[], int]] = {}


def encrypted_columns(model: type[Model]) -> list[str]:
    return [str(f.column) for f in model._meta.concrete_fields if isinstance(f, crypto.EncryptedTextField)]


def _rotate_table(model: type[Model], batch_size: int) -> int:
    """Re-encrypt one table in primary-key batches, each batch its own transaction.

    Works on raw column values so that nothing else about a row (auto_now fields, history,
    signals) changes: only the ciphertext does.
    """
    table = connection.ops.quote_name(model._meta.db_table)
    pk = connection.ops.quote_name(str(model._meta.pk.column))  # type: ignore[union-attr]
    columns = encrypted_columns(model)
    hashes = BLIND_INDEXES.get(model._meta.label, {})
    quoted = ", ".join(connection.ops.quote_name(c) for c in columns)
    done = 0
    last = None
    while True:
        with transaction.atomic(), connection.cursor() as cursor:
            where = f"WHERE {pk} > %s" if last is not None else ""
            cursor.execute(
                f"SELECT {pk}, {quoted} FROM {table} {where} ORDER BY {pk} LIMIT %s FOR UPDATE",  # noqa: S608
                [last, batch_size] if last is not None else [batch_size],
            )
            rows = cursor.fetchall()
            if not rows:
                return done
            for row in rows:
                values = {col: (crypto.reencrypt(v) if v else v) for col, v in zip(columns, row[1:], strict=True)}
                for hash_column, source in hashes.items():
                    values[hash_column] = crypto.blind_index(crypto.decrypt(values[source]) if values[source] else "")
                assignments = ", ".join(f"{connection.ops.quote_name(c)} = %s" for c in values)
                cursor.execute(
                    f"UPDATE {table} SET {assignments} WHERE {pk} = %s",  # noqa: S608
                    [*values.values(), row[0]],
                )
            done += len(rows)
            last = rows[-1][0]


def rotate_all(batch_size: int = 2000) -> Iterator[tuple[str, int]]:
    for model in apps.get_models():
        if encrypted_columns(model):
            yield model._meta.label, _rotate_table(model, batch_size)
    for label, rotate in EXTRA_ROTATIONS.items():
        yield label, rotate()
