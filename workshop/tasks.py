"""Celery tasks of the workshop app: thin, they call workshop/leaderboard.py and
workshop/exports.py."""

from celery import shared_task

from workshop import exports, leaderboard


@shared_task(acks_late=True)
def refresh_leaderboard(organisation_id: int | None) -> int:
    """Recompute a cached leaderboard (None: the global one); returns how many models."""
    return len(leaderboard.refresh(organisation_id).rows)


@shared_task(acks_late=True)
def export_dataset(user_id: int, export_id: str) -> str:
    """Write an export that the analyst page asked for; the page lists it once ready."""
    return str(exports.run(user_id, export_id))
