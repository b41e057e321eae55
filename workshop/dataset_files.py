"""Writing the dataset's tables to files: Parquet, JSONL or CSV, and the dataset card.

Every writer consumes record batches one at a time (workshop/dataset.py yields them),
so memory stays flat: Parquet through pyarrow's ParquetWriter, one row group per
batch; JSONL and CSV line by line.

CSV and JSONL are opened in spreadsheets, where a participant's comment such as
`=HYPERLINK("http://…?"&B2,"Cliquez")` would run as a formula: their text cells that
begin with = + - @, a tab or a carriage return are prefixed with a single quote, as
OWASP recommends ("CSV Injection"). Parquet, the faithful format, keeps every text as
it was typed.
"""

import csv
import io
import json
import zipfile
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import BinaryIO

import pyarrow as pa
import pyarrow.parquet as pq
from django.utils import timezone

from workshop import dataset
from workshop.dataset import SCHEMAS, TABLES, Selection

FORMATS = {"parquet": ".parquet", "jsonl": ".jsonl", "csv": ".csv"}
CONTENT_TYPES = {
    "parquet": "application/vnd.apache.parquet",
    "jsonl": "application/jsonl; charset=utf-8",
    "csv": "text/csv; charset=utf-8",
    "zip": "application/zip",
}

Progress = Callable[[str, int], None]  # (table, rows written so far in it)


def _json_default(value):
    if isinstance(value, datetime | date):
        return value.isoformat()
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")


def write_parquet(batches: Iterable[pa.RecordBatch], schema: pa.Schema, sink) -> int:
    written = 0
    with pq.ParquetWriter(sink, schema, compression="zstd") as writer:
        for batch in batches:
            writer.write_batch(batch)
            written += batch.num_rows
    return written


# What makes a spreadsheet read a cell as a formula (OWASP, "CSV Injection").
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def spreadsheet_safe(value):
    """The value with every text that begins like a formula prefixed with a single quote,
    also inside lists and mappings; numbers, booleans and dates are left as they are."""
    if isinstance(value, str):
        return "'" + value if value.startswith(FORMULA_STARTS) else value
    if isinstance(value, list):
        return [spreadsheet_safe(item) for item in value]
    if isinstance(value, dict):
        return {key: spreadsheet_safe(item) for key, item in value.items()}
    return value


def write_jsonl(batches: Iterable[pa.RecordBatch], schema: pa.Schema, sink: BinaryIO) -> int:
    written = 0
    for batch in batches:
        for row in batch.to_pylist():
            line = json.dumps(spreadsheet_safe(row), ensure_ascii=False, default=_json_default)
            sink.write(line.encode() + b"\n")
            written += 1
    return written


def _csv_cell(value):
    # Lists (model_pair_name, categories) have no CSV form: they are written as JSON,
    # their texts made safe first, as JSONL's are (the cell itself begins with "[").
    if isinstance(value, list):
        return json.dumps(spreadsheet_safe(value), ensure_ascii=False)
    if isinstance(value, datetime):
        return value.isoformat()
    return spreadsheet_safe(value)


def write_csv(
    batches: Iterable[pa.RecordBatch], schema: pa.Schema, sink: BinaryIO, header: bool = True
) -> int:
    text = io.TextIOWrapper(sink, encoding="utf-8", newline="", write_through=True)
    writer = csv.writer(text)
    if header:
        writer.writerow(schema.names)
    written = 0
    for batch in batches:
        for row in batch.to_pylist():
            writer.writerow([_csv_cell(row[name]) for name in schema.names])
            written += 1
    text.flush()
    text.detach()
    return written


WRITERS = {"parquet": write_parquet, "jsonl": write_jsonl, "csv": write_csv}


def write_table(
    name: str,
    selection: Selection,
    fmt: str,
    sink,
    progress: Progress | None = None,
    chunk_size: int = dataset.CHUNK_SIZE,
) -> int:
    """Write one table to `sink` (a path or a binary file); return its number of rows."""

    def reporting(batches):
        done = 0
        for batch in batches:
            yield batch
            done += batch.num_rows
            if progress is not None:
                progress(name, done)

    return WRITERS[fmt](
        reporting(dataset.batches(name, selection, chunk_size)), SCHEMAS[name], sink
    )


def stream_text(name: str, selection: Selection, fmt: str) -> Iterator[bytes]:
    """A JSONL or CSV table as chunks of bytes, one per batch: for a streamed download."""
    schema = SCHEMAS[name]
    first = True
    for batch in dataset.batches(name, selection):
        buffer = io.BytesIO()
        if fmt == "csv":
            write_csv([batch], schema, buffer, header=first)
        else:
            write_jsonl([batch], schema, buffer)
        first = False
        yield buffer.getvalue()
    if first and fmt == "csv":
        buffer = io.BytesIO()
        write_csv([], schema, buffer)
        yield buffer.getvalue()


@dataclass
class Written:
    files: list[Path] = field(default_factory=list)
    rows: dict[str, int] = field(default_factory=dict)


def export_to_directory(
    selection: Selection,
    fmt: str,
    out_dir: Path,
    progress: Progress | None = None,
    tables: list[str] | None = None,
) -> Written:
    """Every table as one file in `out_dir`, and the dataset card beside them."""
    out_dir.mkdir(parents=True, exist_ok=True)
    written = Written()
    for name in tables or TABLES:
        path = out_dir / f"{name}{FORMATS[fmt]}"
        with open(path, "wb") as sink:
            written.rows[name] = write_table(name, selection, fmt, sink, progress)
        written.files.append(path)
    card = out_dir / "README.md"
    card.write_text(dataset_card(selection, fmt, written.rows), encoding="utf-8")
    written.files.append(card)
    return written


def export_to_zip(
    selection: Selection, fmt: str, sink: BinaryIO, progress: Progress | None = None
) -> Written:
    """Every table and the card in one zip archive, written entry by entry."""
    written = Written()
    with zipfile.ZipFile(sink, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name in TABLES:
            entry = f"{name}{FORMATS[fmt]}"
            with archive.open(entry, "w", force_zip64=True) as member:
                written.rows[name] = write_table(
                    name, selection, fmt, _Unseekable(member), progress
                )
        archive.writestr("README.md", dataset_card(selection, fmt, written.rows))
    return written


class _Unseekable(io.RawIOBase):
    """A zip member as pyarrow and csv see it: a plain binary stream that only writes."""

    def __init__(self, member):
        self.member = member
        self.position = 0

    def writable(self) -> bool:
        return True

    def tell(self) -> int:
        return self.position

    def write(self, data) -> int:
        self.member.write(data)
        self.position += len(data)
        return len(data)


# The dataset card ----------------------------------------------------------------------------

COLUMN_NOTES = {
    "votes": "un vote par ligne ; colonnes de `comparia-votes`, puis les nôtres",
    "conversations": "une paire de conversations par vote ; colonnes de "
    "`comparia-conversations`, puis les nôtres",
    "reactions": "une réaction par côté et par sens (j'aime avec ses raisons positives, "
    "je n'aime pas avec ses raisons négatives) ; colonnes de `comparia-reactions`",
    "tallies": "les mains levées comptées par salle et par duel, en nombres, jamais en "
    "votes individuels",
}


def dataset_card(selection: Selection, fmt: str, rows: dict[str, int]) -> str:
    """README.md with the YAML block that dataset hubs read, then the card in French."""
    total = rows.get("votes", 0)
    size = (
        "n<1K"
        if total < 1_000
        else "1K<n<10K"
        if total < 10_000
        else "10K<n<100K"
        if total < 100_000
        else "100K<n<1M"
        if total < 1_000_000
        else "1M<n<10M"
    )
    configs = "\n".join(
        f"  - config_name: {name}\n    data_files: {name}{FORMATS[fmt]}" for name in rows
    )
    columns = "\n\n".join(
        f"### `{name}` ({rows[name]} lignes)\n\n{COLUMN_NOTES[name]}.\n\n"
        + "\n".join(f"- `{f.name}` : {f.type}" for f in SCHEMAS[name])
        for name in rows
    )
    free_text = (
        "les commentaires libres ne sont exportés que pour les organisations qui l'ont "
        "choisi (`conv_comments_a/b`, `comment`) ; ailleurs ils sont vides"
    )
    formulas = (
        "CSV et JSONL : tout texte qui commence par `=`, `+`, `-`, `@`, une tabulation ou "
        "un retour chariot est précédé d'une apostrophe (`'`), pour qu'un tableur ne "
        "l'exécute pas comme une formule (recommandation OWASP) ; retirez-la si vous "
        "analysez ces textes. Le Parquet garde chaque texte tel quel"
        if fmt in ("csv", "jsonl")
        else "Le Parquet garde chaque texte tel quel ; dans les exports CSV et JSONL, un "
        "texte qui commence par `=`, `+`, `-`, `@`, une tabulation ou un retour chariot "
        "est précédé d'une apostrophe (`'`), pour qu'un tableur ne l'exécute pas"
    )
    return f"""---
license: etalab-2.0
license_name: etalab-open-licence-2.0
license_link: https://www.etalab.gouv.fr/licence-ouverte-open-licence/
language:
  - fr
pretty_name: Les duels de l'IA, votes d'ateliers
size_categories:
  - {size}
tags:
  - human-feedback
  - preference
  - compar-ia
  - arena
configs:
{configs}
---

# Les duels de l'IA : votes d'ateliers

Préférences humaines entre deux réponses de modèles d'IA, recueillies pendant des
ateliers « Les duels de l'IA » (l'atelier de compar:IA). Même forme que les jeux de
données publiés par compar:IA (`comparia-votes`, `comparia-conversations`,
`comparia-reactions`) : mêmes noms de colonnes, mêmes types Arrow, mêmes conventions.
Nos colonnes propres viennent après les leurs.

Exporté le {timezone.now():%Y-%m-%d %H:%M} UTC ; sélection :
`{json.dumps(selection.describe(), ensure_ascii=False)}`.

## Collecte

Dans chaque duel d'un atelier, une salle lit les réponses de deux modèles à la même
question (« Modèle A » et « Modèle B », tirés au sort une fois pour tout l'atelier),
puis chacun vote sur son téléphone : A, B ou « les deux se valent », avec les raisons
de compar:IA pour chaque côté. Une salle peut aussi voter à main levée : ces comptes
sont dans `tallies`, jamais transformés en votes individuels.

- Un vote pour A donne `chosen_model_name` = identifiant de A ; une égalité donne
  `both_equal` vrai et `chosen_model_name` vide. `model_pair_name` est trié.
- Chaque vote forme sa propre paire de conversations (`conversation_pair_id`) : trente
  votes sur les deux mêmes réponses font trente paires. La réponse partagée est
  nommée dans `metadata.generation_id` des messages ; `cached_response_a/b` est vrai
  quand la réponse avait déjà servi dans un duel précédent.
- `conversation_a/b` sont des listes de messages en JSON
  (`role`, `content`, `reasoning_content` éventuel, `metadata`).
- Énergie et émissions : estimations EcoLogits, en fourchettes (`energy_wh_*`,
  `gwp_g_*`) ; `total_conv_*_kwh` est le milieu de la fourchette, en kWh.

## Ce qui a été retiré

- Aucune donnée personnelle n'est collectée. `visitor_id` et `session_hash` sont des
  empreintes à clé (HMAC) propres à chaque organisation : stables dans une
  organisation, impossibles à relier d'une organisation à l'autre ou au cookie.
- {free_text}.
- Les participants simulés (`simulate_workshop`) sont exclus, sauf demande explicite
  (colonne `simulated`) ; les votes des participants retirés par l'animateur aussi.
- Codes de salle, liens de présentateur, comptes des animateurs : jamais exportés.

## Textes et tableurs

{formulas}.

## Colonnes

{columns}
"""
