"""The schedule logic with a controllable clock: digest slots, catch-up, DST, job reconciliation."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from apscheduler.events import EVENT_SCHEDULER_STARTED
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.schedulers.base import STATE_PAUSED
from sqlalchemy import text

from borderwatch import daemon, jobs
from borderwatch.timing import latest_slot, next_slot, pending_digest_days, slot_on
from pipeline.store import Store
from tests.support.config import base_config, make_config

UTC = dt.UTC
LONDON = ZoneInfo("Europe/London")
NEW_YORK = ZoneInfo("America/New_York")
KARACHI = ZoneInfo("Asia/Karachi")


def at(*args: int) -> dt.datetime:
    return dt.datetime(*args, tzinfo=UTC)


def slots_between(start: dt.datetime, end: dt.datetime, clock: dt.time, zone: ZoneInfo):
    found, moment = [], start
    while True:
        slot = next_slot(moment, clock, zone)
        if slot.due_at > end:
            return found
        found.append(slot)
        moment = slot.due_at


def test_digest_slot_in_a_zone_without_dst() -> None:
    slot = slot_on(dt.date(2025, 10, 27), dt.time(7, 0), KARACHI)
    assert slot.due_at == at(2025, 10, 27, 2, 0)
    assert slot.day == dt.date(2025, 10, 26)
    assert latest_slot(at(2025, 10, 27, 1, 59), dt.time(7, 0), KARACHI).day == dt.date(2025, 10, 25)
    assert latest_slot(at(2025, 10, 27, 2, 0), dt.time(7, 0), KARACHI).day == dt.date(2025, 10, 26)


@pytest.mark.parametrize(
    ("zone", "clock", "start", "end"),
    [
        # 01:30 does not exist in London on 29 March 2026 (01:00 GMT -> 02:00 BST) ...
        (LONDON, dt.time(1, 30), at(2026, 3, 25), at(2026, 4, 2)),
        # ... and happens twice on 25 October 2026.
        (LONDON, dt.time(1, 30), at(2026, 10, 21), at(2026, 10, 29)),
        # 02:30 does not exist in New York on 8 March 2026, happens twice on 1 November.
        (NEW_YORK, dt.time(2, 30), at(2026, 3, 4), at(2026, 3, 12)),
        (NEW_YORK, dt.time(1, 30), at(2026, 10, 28), at(2026, 11, 5)),
    ],
)
def test_exactly_one_digest_per_day_across_dst(zone, clock, start, end) -> None:
    slots = slots_between(start, end, clock, zone)
    days = [s.day for s in slots]
    assert len(days) == len(set(days)) == (end - start).days
    assert days == sorted(days)
    assert all((b - a) == dt.timedelta(days=1) for a, b in zip(days, days[1:], strict=False))


def test_nonexistent_digest_time_is_moved_past_the_jump() -> None:
    slot = slot_on(dt.date(2026, 3, 29), dt.time(1, 30), LONDON)
    # 01:30 GMT is 02:30 BST: the same distance after the jump, once.
    assert slot.due_at == at(2026, 3, 29, 1, 30)
    assert slot.due_at.astimezone(LONDON).strftime("%H:%M") == "02:30"
    repeated = slot_on(dt.date(2026, 10, 25), dt.time(1, 30), LONDON)
    assert repeated.due_at == at(2026, 10, 25, 0, 30)  # the first 01:30 (BST)


def test_trigger_fires_once_per_day_through_spring_forward() -> None:
    trigger = daemon.DailyDigestTrigger(dt.time(2, 30), NEW_YORK)
    fire = trigger.get_next_fire_time(None, at(2026, 3, 5, 12))
    fires = []
    for _ in range(6):
        fires.append(fire)
        fire = trigger.get_next_fire_time(fire, fire)
    local_dates = [f.astimezone(NEW_YORK).date() for f in fires]
    assert local_dates == [dt.date(2026, 3, 6) + dt.timedelta(days=i) for i in range(6)]
    assert fires[2].astimezone(UTC) == at(2026, 3, 8, 7, 30)  # 03:30 EDT, the skipped 02:30


def test_pending_days_respect_grace_and_done() -> None:
    clock, grace = dt.time(7, 0), dt.timedelta(hours=20)
    done: set[dt.date] = set()
    # 07:00 Karachi is 02:00 UTC. Down from 01:00 to 21:00 UTC: the digest is caught up.
    now = at(2025, 10, 27, 21, 0)
    assert pending_digest_days(now, clock, KARACHI, grace, done.__contains__) == [
        dt.date(2025, 10, 26)
    ]
    done.add(dt.date(2025, 10, 26))
    assert pending_digest_days(now, clock, KARACHI, grace, done.__contains__) == []
    # Back only 21 hours after the digest time: beyond the grace, given up.
    late = at(2025, 10, 27, 23, 1)
    assert pending_digest_days(late, clock, KARACHI, grace, set().__contains__) == []
    # A grace longer than a day catches up both missed days, oldest first.
    long = dt.timedelta(hours=30)
    later = at(2025, 10, 28, 3, 0)
    assert pending_digest_days(later, clock, KARACHI, long, set().__contains__) == [
        dt.date(2025, 10, 26),
        dt.date(2025, 10, 27),
    ]


def _digest_config(tmp_path: Path, **schedule):
    raw = base_config(tmp_path)
    raw["schedule"].update(schedule)
    return make_config(tmp_path, raw)


def _digest_runs(store: Store) -> list[tuple]:
    with store.engine.connect() as conn:
        return conn.execute(
            text("SELECT day, status FROM runs WHERE job = 'digest' ORDER BY id")
        ).all()


def test_due_digest_is_sent_once_with_a_controllable_clock(tmp_path: Path, db_url: str) -> None:
    config = _digest_config(tmp_path, timezone="Europe/London", digest_time="01:30")
    store = Store(db_url)
    # The spring-forward day: 01:30 does not exist; the digest is due at 01:30 UTC.
    # A minute before: the 27th's digest was due almost a day ago, beyond the 20h grace.
    assert jobs.send_due_digests(config, db_url, now=at(2026, 3, 29, 1, 29)) == 0
    assert jobs.send_due_digests(config, db_url, now=at(2026, 3, 29, 1, 31)) == 1
    for minute in (32, 45):
        assert jobs.send_due_digests(config, db_url, now=at(2026, 3, 29, 1, minute)) == 0
    # A restart hours later (a new process; state only in the database) sends nothing again.
    assert jobs.send_due_digests(config, db_url, now=at(2026, 3, 29, 20, 0)) == 0
    runs = _digest_runs(store)
    assert [(str(day), status) for day, status in runs] == [("2026-03-28", "ok")]
    assert (config.outbox_path / "digest-2026-03-28.eml").exists()
    store.close()


def test_missed_digest_beyond_grace_is_given_up(tmp_path: Path, db_url: str) -> None:
    config = _digest_config(tmp_path, timezone="UTC", digest_time="07:00", digest_grace="2h")
    assert jobs.send_due_digests(config, db_url, now=at(2026, 5, 4, 9, 1)) == 0
    assert jobs.send_due_digests(config, db_url, now=at(2026, 5, 4, 8, 59)) == 1
    store = Store(db_url)
    assert [str(day) for day, _ in _digest_runs(store)] == ["2026-05-03"]
    store.close()


def test_digest_rows_of_every_recipient_mark_the_day_done(tmp_path: Path, db_url: str) -> None:
    raw = base_config(tmp_path)
    raw["digest"]["recipients"] = ["a@example.org", "b@example.org"]
    raw["email"]["host"] = "127.0.0.1"
    config = make_config(tmp_path, raw)
    store = Store(db_url)
    day = dt.date(2026, 5, 3)
    insert = text(
        "INSERT INTO digests (day, recipient, message_id, status, created_at) "
        "VALUES (:day, :r, :m, :s, :t)"
    )
    with store.engine.begin() as conn:
        conn.execute(insert, {"day": day, "r": "a@example.org", "m": "<1@x>", "s": "sent",
                              "t": dt.datetime(2026, 5, 4)})  # fmt: skip
    assert not jobs.digest_done(config, store, day)
    with store.engine.begin() as conn:
        conn.execute(insert, {"day": day, "r": "b@example.org", "m": "<2@x>", "s": "failed",
                              "t": dt.datetime(2026, 5, 4)})  # fmt: skip
    assert not jobs.digest_done(config, store, day)
    with store.engine.begin() as conn:
        conn.execute(text("UPDATE digests SET status = 'sent' WHERE recipient = 'b@example.org'"))
    assert jobs.digest_done(config, store, day)
    store.close()


def test_job_defaults_and_fixed_ids(tmp_path: Path) -> None:
    raw = base_config(tmp_path)
    raw["collect"]["interval"] = "2s"
    config = make_config(tmp_path, raw)
    sched = daemon.make_scheduler(config)
    specs = daemon.desired_jobs(config, "sqlite:///x.sqlite")
    assert set(specs) == {"collect", "digest", "health"}
    assert all(spec.func.startswith("borderwatch.jobs:") for spec in specs.values())
    seen = {}

    def started(_event) -> None:
        # As the daemon does: reconcile while paused; here, look and stop instead of resuming.
        seen["state"] = sched.state
        daemon.reconcile(sched, specs)
        seen["job"] = sched.get_job("collect")
        sched.shutdown(wait=False)

    sched.add_listener(started, EVENT_SCHEDULER_STARTED)
    sched.start(paused=True)  # returns once the listener has shut it down
    assert seen["state"] == STATE_PAUSED
    job = seen["job"]
    # Set through job_defaults, where APScheduler 3 applies them to every job.
    assert job.misfire_grace_time == config.schedule.digest_grace == 20 * 3600
    assert job.coalesce is True
    assert job.max_instances == 1
    assert job.trigger.interval == dt.timedelta(seconds=2)
    # Arguments are plain data: the configuration snapshot rebuilds the same configuration.
    snapshot, url = job.args
    assert url == "sqlite:///x.sqlite"
    rebuilt = jobs.config_from_snapshot(snapshot)
    assert rebuilt.collect.interval == 2 and rebuilt.topic == config.topic


def test_reconcile_starts_paused_adds_updates_and_removes(tmp_path: Path) -> None:
    raw = base_config(tmp_path)
    config = make_config(tmp_path, raw)
    sched = BackgroundScheduler(timezone=UTC)
    sched.start(paused=True)
    try:
        # What an older configuration left: a job no longer wanted, collect on another interval.
        sched.add_job("borderwatch.jobs:scheduled_health", "interval", hours=5, id="old-job",
                      args=({}, "sqlite:///x"))  # fmt: skip
        sched.add_job("borderwatch.jobs:scheduled_collect", "interval", hours=5, id="collect",
                      args=({}, "sqlite:///x"))  # fmt: skip
        now = at(2026, 1, 1, 12)
        changes = daemon.reconcile(sched, daemon.desired_jobs(config, "sqlite:///x"), now=now)
        assert changes["removed"] == ["old-job"]
        assert changes["updated"] == ["collect"]
        assert sorted(changes["added"]) == ["digest", "health"]
        assert {j.id for j in sched.get_jobs()} == {"collect", "digest", "health"}
        assert sched.get_job("collect").trigger.interval == dt.timedelta(minutes=30)
        assert sched.get_job("digest").next_run_time == now  # the catch-up check at start
        # Reconciling the same configuration again changes nothing and keeps the run times.
        before = {j.id: j.next_run_time for j in sched.get_jobs()}
        again = daemon.reconcile(sched, daemon.desired_jobs(config, "sqlite:///x"), now=now)
        assert sorted(again["kept"]) == ["collect", "digest", "health"]
        assert {j.id: j.next_run_time for j in sched.get_jobs()} == before
    finally:
        sched.shutdown(wait=False)


def test_digest_trigger_fires_at_the_digest_time_and_hourly(tmp_path: Path) -> None:
    raw = base_config(tmp_path)
    raw["schedule"].update({"timezone": "Asia/Karachi", "digest_time": "07:10"})
    trigger = daemon.desired_jobs(make_config(tmp_path, raw), "sqlite:///x")["digest"].trigger
    moment, fires = at(2025, 10, 27, 0, 0), []
    for _ in range(5):
        moment = trigger.get_next_fire_time(moment, moment)
        fires.append(moment.astimezone(UTC))
    assert at(2025, 10, 27, 2, 10) in fires  # 07:10 in Karachi
    assert all(
        later - earlier <= dt.timedelta(hours=1)
        for earlier, later in zip(fires, fires[1:], strict=False)
    )


def test_failed_delivery_is_tried_again(tmp_path: Path, db_url: str) -> None:
    config = _digest_config(tmp_path, timezone="UTC", digest_time="07:00")
    # The outbox cannot be created while a file is in its place: delivery fails.
    config.data_path.mkdir(parents=True)
    config.outbox_path.write_text("in the way", encoding="utf-8")
    assert jobs.send_due_digests(config, db_url, now=at(2026, 5, 4, 7, 0)) == 1
    config.outbox_path.unlink()
    assert jobs.send_due_digests(config, db_url, now=at(2026, 5, 4, 8, 0)) == 1
    assert jobs.send_due_digests(config, db_url, now=at(2026, 5, 4, 9, 0)) == 0
    store = Store(db_url)
    assert [(str(d), s) for d, s in _digest_runs(store)] == [
        ("2026-05-03", "failed"),
        ("2026-05-03", "ok"),
    ]
    store.close()


def test_scheduled_digest_mails_each_recipient_once_across_restarts(tmp_path: Path, db_url) -> None:
    from tests.support.smtp_server import RecordingHandler, smtp_server

    handler = RecordingHandler()
    with smtp_server(handler) as server:
        raw = base_config(tmp_path)
        raw["schedule"].update({"timezone": "America/New_York", "digest_time": "02:30"})
        raw["digest"]["recipients"] = ["one@example.org", "two@example.org"]
        raw["email"].update({"host": "127.0.0.1", "port": server.port, "security": "plain",
                             "retries": 0, "timeout": "10s"})  # fmt: skip
        config = make_config(tmp_path, raw)
        # 8 March 2026: 02:30 does not exist in New York; the digest is due at 03:30 EDT.
        assert jobs.send_due_digests(config, db_url, now=at(2026, 3, 8, 7, 29)) == 0
        assert jobs.send_due_digests(config, db_url, now=at(2026, 3, 8, 7, 31)) == 1
        # The hourly re-check and a restarted daemon (new process: only the database remains).
        assert jobs.send_due_digests(config, db_url, now=at(2026, 3, 8, 8, 31)) == 0
        assert jobs.send_due_digests(config, db_url, now=at(2026, 3, 8, 20, 0)) == 0
    assert sorted(r for m in handler.received for r in m.rcpt_tos) == [
        "one@example.org",
        "two@example.org",
    ]
