"""The load generator without services: the simulated world, its truth, the client's retries, the CLI."""

from __future__ import annotations

import dataclasses
import json
import subprocess
from collections import defaultdict
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from questlog_api.app import create_app
from questlog_api.settings import Settings as ApiSettings
from questlog_core.registry import default_registry
from questlog_core.validation import EventValidator
from questlog_loadgen import game_truth, payloads
from questlog_loadgen.client import ApiClient
from questlog_loadgen.errors import ApiRefused, SettingsError
from questlog_loadgen.game import play
from questlog_loadgen.model import PlannedEvent
from questlog_loadgen.plan import Plan, build_plan
from questlog_loadgen.settings import Settings
from questlog_loadgen.simulate import run
from questlog_loadgen.truth import aggregate, sent_summary, unique_valid

from tests.conftest import ROOT
from tests.unit.fakes import FakeProducer

LOADGEN = ROOT / "loadgen"
ANCHOR = "2026-03-08T18:30:00+00:00"  # a Sunday evening: the window holds a weekend


def small(**overrides: Any) -> Settings:
    values = {"players": 60, "days": 3, "run_id": "t1", "anchor": ANCHOR, "progress": False, "rate": 0.0}
    return Settings(**{**values, **overrides})


@pytest.fixture(scope="module")
def plan() -> Plan:
    settings = small(duplicate_rate=0.04, malformed_rate=0.03, late_rate=0.1)
    return build_plan(settings, settings.anchor_time())


def test_a_seed_gives_the_same_run_and_another_run_id_other_ids():
    settings = small()
    first, again = build_plan(settings, settings.anchor_time()), build_plan(settings, settings.anchor_time())
    assert [(e.body, e.host) for e in first.events] == [(e.body, e.host) for e in again.events]
    other = build_plan(small(run_id="t2"), settings.anchor_time())
    ids = {e.event_id for e in unique_valid(first.events)}
    assert ids.isdisjoint(e.event_id for e in unique_valid(other.events))
    # Same seed, same behaviour: only the ids and the user prefix differ.
    assert len(other.events) == len(first.events)
    assert {e.body["user_id"].split("-", 1)[0] for e in other.events} == {"t2"}
    different = build_plan(small(seed=7), settings.anchor_time())
    assert [e.body for e in different.events] != [e.body for e in first.events]


def test_every_player_follows_the_funnel(plan: Plan):
    firsts: dict[str, dict[str, str]] = defaultdict(dict)
    for event in sorted(unique_valid(plan.events), key=lambda e: e.body["event_ts"]):
        firsts[event.body["user_id"]].setdefault(event.body["event_type"], event.body["event_ts"])
    assert set(firsts) == {p.user_id for p in plan.players}
    guild_bound = {p.user_id for p in plan.players if p.guild_bound}
    buyers_in_guilds = 0
    for user, first in firsts.items():
        assert min(first.values()) == first["enter_battle"], f"{user} did not start with a battle"
        if user in guild_bound and "purchase_weapon" in first:
            assert "join_guild" in first and first["join_guild"] < first["purchase_weapon"], user
            buyers_in_guilds += 1
    assert buyers_in_guilds > 0
    truth = aggregate(plan.events)
    funnel = truth["funnel"]
    assert funnel["players"] == funnel["first_battle"] == len(plan.players)
    assert funnel["first_battle"] > funnel["joined_guild_after_battle"] >= funnel["purchased_after_guild"] > 0


def test_segments_behave_differently(plan: Plan):
    truth = aggregate(build_plan(small(players=300), small().anchor_time()).events)
    members, others = truth["segments"]["guild_members"], truth["segments"]["others"]
    assert members["gold"] / members["players"] > 1.5 * others["gold"] / others["players"]
    assert members["wins"] / members["battles"] > others["wins"] / others["battles"]
    enemies = truth["tables"]["enter_battle"]["by_enemy"]
    assert enemies["goblin"]["wins"] / enemies["goblin"]["battles"] > 0.75
    assert enemies["dragon"]["wins"] / enemies["dragon"]["battles"] < 0.35
    by_host = truth["tables"]["purchase_weapon"]
    per_purchase = {h: by_host["gold_by_host"][h] / n for h, n in by_host["by_host"].items()}
    assert per_purchase["fiber.brightnet.example"] > per_purchase["prepaid.budgetcell.example"]
    days = truth["by_day"]  # 2026-03-07/08 are a weekend
    assert days["2026-03-07"] > days["2026-03-06"]


def test_truth_counts_each_event_id_once(plan: Plan):
    valid = [e for e in plan.events if e.kind == "valid"]
    resent = [dataclasses.replace(e, kind="duplicate") for e in valid[:25]]
    assert aggregate(valid + resent) == aggregate(valid)
    assert aggregate(plan.events)["events"] == len(valid)
    events = [
        PlannedEvent(
            {
                "event_id": f"00000000-0000-4000-8000-00000000000{i}",
                "event_type": "purchase_weapon",
                "user_id": f"u{i % 2}",
                "event_ts": "2026-03-01T10:00:00.000Z",
                "weapon_type": "axe",
                "gold_cost": 10 * i,
            },
            "h.example",
            datetime.fromisoformat(ANCHOR),
            datetime.fromisoformat(ANCHOR),
        )
        for i in range(1, 4)
    ]
    table = aggregate(events + events[:2])["tables"]["purchase_weapon"]
    assert (table["events"], table["gold"], table["users"]) == (3, 60, 2)
    assert table["by_weapon"] == {"axe": {"events": 3, "gold": 60}}


def test_truth_retention_counts_each_player_in_its_first_days_cohort():
    def battle(i: int, user: str, day: str) -> PlannedEvent:
        body = {
            "event_id": f"00000000-0000-4000-8000-0000000000{i:02d}",
            "event_type": "enter_battle",
            "user_id": user,
            "event_ts": f"{day}T23:59:59.000Z",
            "enemy": "orc",
            "outcome": "won",
        }
        return PlannedEvent(body, "h.example", datetime.fromisoformat(ANCHOR), datetime.fromisoformat(ANCHOR))

    days = {"a": ["2026-03-01", "2026-03-02", "2026-03-04"], "b": ["2026-03-01", "2026-03-01"], "c": ["2026-03-02"]}
    events = [battle(i, user, day) for i, (user, day) in enumerate((u, d) for u, ds in days.items() for d in ds)]
    assert aggregate(events)["retention"] == {
        "2026-03-01": {"0": 2, "1": 1, "3": 1},  # a and b start; a back one day and three days later
        "2026-03-02": {"0": 1},  # c; a is not counted again in a later cohort
    }


def test_duplicates_malformed_and_late_events_come_at_the_configured_rates(plan: Plan):
    sent = sent_summary(plan.events)
    valid = sent["valid_unique"]
    assert sent["duplicates_sent"] == round(0.04 * valid)
    assert sent["malformed_sent"] == round(0.03 * valid)
    assert sent["bodies"] == valid + sent["duplicates_sent"] + sent["malformed_sent"]
    assert set(sent["malformed_by_fault"]) == {
        "unknown_event_type",
        "bad_event_id",
        "stale_event_ts",
        "unknown_field",
        "missing_required",
        "wrong_value",
    }
    # 10% of sessions buffered offline: late events are a few percent to a few tens of percent.
    assert 0.02 * valid < sent["late_events"] < 0.3 * valid
    skewed = [p for p in plan.players if p.clock_skew]
    assert 0 < len(skewed) < len(plan.players) / 2
    assert all(abs(p.clock_skew) < timedelta(hours=7) for p in skewed)


def test_events_pass_the_api_validator_except_the_malformed_ones(plan: Plan):
    validator = EventValidator(default_registry())
    now = plan.anchor + timedelta(minutes=5)
    for event in plan.events:
        rejection = validator.check(event.body, now)
        if event.kind == "malformed":
            assert rejection is not None, (event.fault, event.body)
        else:
            assert rejection is None, (rejection, event.body)
    oldest = min(datetime.fromisoformat(e.body["event_ts"]) for e in unique_valid(plan.events))
    assert oldest > plan.anchor - timedelta(days=3, hours=7)


def test_batches_carry_one_host_and_keep_each_players_order(plan: Plan):
    assert sorted(id(e) for b in plan.batches for e in b.events) == sorted(id(e) for e in plan.events)
    seen: dict[str, list[datetime]] = defaultdict(list)
    for batch in plan.batches:
        assert 0 < len(batch.events) <= 250
        assert {e.host for e in batch.events} == {batch.host}
        for event in batch.events:
            seen[event.body["user_id"]].append(event.sent_at)
    assert all(times == sorted(times) for times in seen.values())


class FlakyProducer(FakeProducer):
    """Fail the first `failures` sends, as a broker that is briefly away."""

    def __init__(self, failures: int) -> None:
        super().__init__()
        self.failures = failures

    def send(self, records):
        if self.failures:
            self.failures -= 1
            return ["KafkaError{code=_MSG_TIMED_OUT}"] * len(records)
        return super().send(records)


class AppSession:
    """A requests.Session look-alike that calls the real Flask app in process."""

    def __init__(self, producer: FakeProducer) -> None:
        self.client = create_app(ApiSettings(access_log=False, retry_after_s=3), producer).test_client()
        self.bodies: list[list[dict[str, Any]]] = []

    def post(self, url: str, data: bytes, headers: dict[str, str], timeout: float):
        self.bodies.append(json.loads(data))
        response = self.client.post(url.split("127.0.0.1:5000", 1)[1], data=data, headers=headers)
        response.content, response.text = response.data, response.get_data(as_text=True)
        return response


def test_a_503_is_retried_with_the_same_event_ids_after_retry_after():
    producer, waits = FlakyProducer(failures=2), []
    session = AppSession(producer)
    client = ApiClient("http://127.0.0.1:5000", session=session, max_retry_wait_s=2.5, sleep=waits.append)
    events = [
        {
            "event_id": f"00000000-0000-4000-8000-{i:012d}",
            "event_type": "enter_battle",
            "user_id": "u1",
            "enemy": "orc",
            "outcome": "won",
        }
        for i in range(5)
    ]
    reply = client.post([*events, {**events[0], "outcome": "draw"}], "net.example")
    assert reply.requests == 3 and waits == [2.5, 2.5]  # Retry-After 3, capped
    assert [e["event_id"] for e in session.bodies[2][:5]] == [e["event_id"] for e in events]
    assert reply.accepted == {i: e["event_id"] for i, e in enumerate(events)}
    assert reply.rejected[5]["field"] == "outcome"
    assert {r["host"] for r in producer.values("events")} == {"net.example"}


def test_the_client_gives_up_after_its_retries():
    client = ApiClient(
        "http://127.0.0.1:5000",
        session=AppSession(FakeProducer(fail=True)),
        max_retries=2,
        sleep=lambda _s: None,
    )
    with pytest.raises(ApiRefused, match="after 3 attempts"):
        client.post([{"event_type": "join_guild", "user_id": "u", "guild_name": "g"}], "h.example")


def test_a_run_writes_truth_that_matches_what_the_api_took(tmp_path: Path):
    producer = FlakyProducer(failures=1)
    # Anchored now: the API refuses events older than 30 days.
    settings = small(players=15, truth_path=str(tmp_path / "truth.json"), malformed_rate=0.05, anchor="")
    client = ApiClient(settings.api_url, session=AppSession(producer), sleep=lambda _s: None)
    doc = run(settings, client)
    assert json.loads((tmp_path / "truth.json").read_text()) == doc
    assert doc["acknowledged"] == doc["generated"]
    assert doc["api"]["unexpected_count"] == 0
    assert doc["api"]["malformed_rejected"] == doc["sent"]["malformed_sent"] > 0
    stored = {r["event_id"] for r in producer.values("events")}
    assert len(stored) == doc["generated"]["events"]
    hosts = {r["user_id"]: r["host"] for r in producer.values("events")}
    assert len(set(hosts.values())) > 1 and all(h.endswith(".example") for h in hosts.values())


def test_settings_come_from_flags_over_env_and_name_the_variable():
    env = {"QUESTLOG_LOADGEN_PLAYERS": "12", "QUESTLOG_LOADGEN_SEED": "9"}
    settings = Settings.from_args(["--players", "30", "--no-progress"], env)
    assert (settings.players, settings.seed, settings.progress) == (30, 9, False)
    assert settings.run_id.startswith("sim") and settings.truth_path.endswith(f"truth-{settings.run_id}.json")
    with pytest.raises(SettingsError, match="QUESTLOG_LOADGEN_DAYS"):
        Settings.from_env({"QUESTLOG_LOADGEN_DAYS": "40"})
    with pytest.raises(SettingsError, match="QUESTLOG_LOADGEN_RATE must be a number"):
        Settings.from_env({"QUESTLOG_LOADGEN_RATE": "fast"})
    with pytest.raises(SettingsError, match="QUESTLOG_LOADGEN_RUN_ID"):
        Settings(run_id="Bad Id")


def test_readme_documents_every_setting():
    readme = (LOADGEN / "README.md").read_text()
    for f in dataclasses.fields(Settings):
        assert f"`--{f.name.replace('_', '-')}`" in readme and f"QUESTLOG_LOADGEN_{f.name.upper()}" in readme
    script = (LOADGEN / "ab-load.sh").read_text()
    for variable in (
        "AB_TOTAL",
        "AB_CONCURRENCY",
        "AB_USERS",
        "AB_RUN_SIZE",
        "AB_USER_PREFIX",
        "API_URL",
        "AB_SEED",
        "AB_PAYLOADS",
        "AB_API_KEY",
        "AB_TIMEOUT",
        "AB_KEEPALIVE",
    ):
        assert variable in script and f"`{variable}`" in readme


def test_the_payload_corpus_is_current_and_valid(tmp_path: Path):
    payloads.write(tmp_path)
    fresh = sorted(p.relative_to(tmp_path) for p in tmp_path.rglob("*.json"))
    assert fresh == sorted(p.relative_to(LOADGEN / "payloads") for p in (LOADGEN / "payloads").rglob("*.json"))
    for path in fresh:
        assert (tmp_path / path).read_text() == (LOADGEN / "payloads" / path).read_text(), path
    validator = EventValidator(default_registry())
    kinds = {"weapon": "purchase_weapon", "guild": "join_guild", "battle": "enter_battle"}
    for path in fresh:
        event = {
            **json.loads((tmp_path / path).read_text()),
            "event_type": kinds[path.parts[0]],
            "user_id": "u",
        }
        assert validator.check(event, datetime.now().astimezone()) is None, path


def test_ab_script_parses_and_refuses_bad_parameters():
    script = LOADGEN / "ab-load.sh"
    assert subprocess.run(["bash", "-n", str(script)], check=False).returncode == 0
    bad = subprocess.run([str(script), "-n", "0"], capture_output=True, text=True, check=False)
    assert bad.returncode == 2 and "AB_TOTAL must be a positive integer" in bad.stderr
    bad = subprocess.run(
        [str(script)],
        capture_output=True,
        text=True,
        check=False,
        env={"PATH": "/usr/bin:/bin", "AB_USER_PREFIX": "no spaces"},
    )
    assert bad.returncode == 2 and "AB_USER_PREFIX" in bad.stderr
    usage = subprocess.run([str(script), "-h"], capture_output=True, text=True, check=False)
    assert usage.returncode == 0 and "AB_CONCURRENCY" in usage.stdout


def test_game_world_is_reproducible_its_ids_follow_the_prefix_and_its_economy_adds_up():
    start = date(2026, 11, 1)
    a, b, c = play("a-", 25, 14, start), play("a-", 25, 14, start), play("b-", 25, 14, start)
    bodies = lambda w: [e.body for d in w.deliveries for e in d.events]  # noqa: E731
    assert bodies(a) == bodies(b)
    assert not {x["event_id"] for x in bodies(a)} & {x["event_id"] for x in bodies(c)}
    assert game_truth.balances_add_up(a)
    # Every event the world sends is one the API accepts (sent_at stamped at send time).
    validator = EventValidator(default_registry())
    sent = datetime(2026, 11, 16, 12, tzinfo=UTC)
    for delivery in a.deliveries:
        for e in delivery.events:
            body = a.sent_body(delivery.player, e, sent)
            assert validator.check(body, sent) is None, body
    # The world has what the marts must cope with: retries by event_id, re-logged transactions,
    # late sessions, players without session ids, clocks hours off, several currencies, level fails.
    ids = [x["event_id"] for x in bodies(a)]
    assert len(ids) > len(set(ids))
    purchases = [x for x in bodies(a) if x["event_type"] == "iap_purchase"]
    assert (
        len(purchases) > len({x["transaction_id"] for x in purchases}) and len({x["currency"] for x in purchases}) >= 2
    )
    assert any(s.late for s in a.sessions) and any(s.session_id is None for s in a.sessions)
    assert any(abs(p.skew) >= timedelta(hours=2) for p in a.players if p.sends_ids)
    assert any(x["event_type"] == "level_progress" and x["status"] == "fail" for x in bodies(a))


def test_game_truth_counts_a_purchase_once_per_transaction_and_days_by_derived_ts():
    world = play("t-", 25, 14, date(2026, 11, 1))
    sessions = game_truth.sessions(world)
    daily = game_truth.player_daily(world, sessions)
    bought = sum(r["iap_purchases"] for r in daily.values())
    assert bought == len(
        {e.body["transaction_id"] for s in world.sessions for e in s.events if "transaction_id" in e.body}
    )
    kpis = game_truth.kpi_daily(daily)
    assert sum(k["new_players"] for k in kpis.values()) == len({u for _d, u in daily})
    assert all(k["dau"] == k["new_players"] + k["returning_players"] for k in kpis.values())
    # A player whose clock runs hours off (with sent_at) is counted on the true day, not the clock's.
    skewed = next(p for p in world.players if p.sends_ids and abs(p.skew) >= timedelta(hours=2))
    mine = [e for s in world.sessions if s.player is skewed for e in s.events]
    assert {game_truth.expected_ts(skewed, e).date() for e in mine} == {e.at.date() for e in mine}
