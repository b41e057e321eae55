"""Exports asked for from the analyst page: written by a Celery task, listed once ready.

An export is a zip (every table and the dataset card) in the user's own folder under
EXPORTS_DIR, with a small JSON file beside it saying what was asked and how far it
got. No table is needed: the folder is the list. Downloading checks again that the
user may still export every organisation the export covers (tenancy's "dataset").
"""

import json
import re
import secrets
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from workshop import dataset, dataset_files, tenancy

EXPORT_ID = re.compile(r"^[0-9]{8}-[0-9]{6}-[0-9a-f]{8}$")
PENDING, READY, FAILED = "pending", "ready", "failed"
# Above this many votes, the page prepares an archive in the background.
DIRECT_LIMIT = 20_000


def exports_dir() -> Path:
    return Path(getattr(settings, "EXPORTS_DIR", settings.VAR_DIR / "exports"))


def _folder(user_id: int) -> Path:
    return exports_dir() / str(user_id)


@dataclass(frozen=True)
class Export:
    id: str
    status: str
    format: str
    requested_at: datetime
    selection: dict
    rows: dict
    size: int

    @property
    def ready(self) -> bool:
        return self.status == READY


def _selection_to_json(selection: dataset.Selection) -> dict:
    return {
        "organisation_ids": None
        if selection.organisation_ids is None
        else list(selection.organisation_ids),
        "since": selection.since.isoformat() if selection.since else None,
        "until": selection.until.isoformat() if selection.until else None,
        "workshop_ids": list(selection.workshop_ids),
        "model_slugs": list(selection.model_slugs),
        "language": selection.language,
        "include_simulated": selection.include_simulated,
    }


def _selection_from_json(data: dict) -> dataset.Selection:
    ids = data["organisation_ids"]
    return dataset.Selection(
        organisation_ids=None if ids is None else tuple(ids),
        since=date.fromisoformat(data["since"]) if data["since"] else None,
        until=date.fromisoformat(data["until"]) if data["until"] else None,
        workshop_ids=tuple(data["workshop_ids"]),
        model_slugs=tuple(data["model_slugs"]),
        language=data["language"],
        include_simulated=data["include_simulated"],
    )


def request_export(user, selection: dataset.Selection, fmt: str) -> str:
    """Record the request and queue the task once the request's transaction commits."""
    from workshop.tasks import export_dataset

    export_id = f"{timezone.now():%Y%m%d-%H%M%S}-{secrets.token_hex(4)}"
    folder = _folder(user.pk)
    folder.mkdir(parents=True, exist_ok=True)
    _write_meta(
        folder / f"{export_id}.json",
        {
            "status": PENDING,
            "format": fmt,
            "requested_at": timezone.now().isoformat(),
            "selection": _selection_to_json(selection),
            "rows": {},
        },
    )
    transaction.on_commit(lambda: export_dataset.delay(user.pk, export_id))
    return export_id


def _write_meta(path: Path, meta: dict) -> None:
    partial = path.with_suffix(".json.part")
    partial.write_text(json.dumps(meta, ensure_ascii=False), encoding="utf-8")
    partial.replace(path)


def run(user_id: int, export_id: str) -> Path:
    """Write the archive (the task's work). A crash leaves the export marked failed."""
    if not EXPORT_ID.match(export_id):
        raise ValueError("not an export id")
    folder = _folder(user_id)
    meta_path = folder / f"{export_id}.json"
    meta = json.loads(meta_path.read_text(encoding="utf-8"))
    archive = folder / f"{export_id}.zip"
    partial = folder / f"{export_id}.zip.part"
    try:
        with open(partial, "wb") as sink:
            written = dataset_files.export_to_zip(
                _selection_from_json(meta["selection"]), meta["format"], sink
            )
        partial.replace(archive)
    except Exception:
        meta["status"] = FAILED
        _write_meta(meta_path, meta)
        partial.unlink(missing_ok=True)
        raise
    meta.update(status=READY, rows=written.rows)
    _write_meta(meta_path, meta)
    return archive


def _may_see(user, selection: dict) -> bool:
    ids = selection["organisation_ids"]
    if ids is None:
        return user.is_superuser
    return all(tenancy.may(user, tenancy.VIEW, tenancy.DATASET, i) for i in ids)


def list_for(user) -> list[Export]:
    folder = _folder(user.pk)
    if not folder.is_dir():
        return []
    found = []
    for meta_path in sorted(folder.glob("*.json"), reverse=True):
        meta = json.loads(meta_path.read_text(encoding="utf-8"))
        if not _may_see(user, meta["selection"]):
            continue
        archive = meta_path.with_suffix(".zip")
        found.append(
            Export(
                id=meta_path.stem,
                status=meta["status"],
                format=meta["format"],
                requested_at=datetime.fromisoformat(meta["requested_at"]),
                selection=meta["selection"],
                rows=meta["rows"],
                size=archive.stat().st_size if archive.exists() else 0,
            )
        )
    return found


def archive_for(user, export_id: str) -> Path | None:
    """The ready archive, if it is this user's and they may still see what it holds."""
    if not EXPORT_ID.match(export_id):
        return None
    meta_path = _folder(user.pk) / f"{export_id}.json"
    archive = meta_path.with_suffix(".zip")
    if not meta_path.exists() or not archive.exists():
        return None
    meta = json.loads(meta_path.read_text(encoding="utf-8"))
    if meta["status"] != READY or not _may_see(user, meta["selection"]):
        return None
    return archive
