"""The pipeline and swarm benchmarks run end to end at tiny sizes and clean up after
themselves (their figures are printed, never asserted)."""

from __future__ import annotations

import json

import redis


def test_bench_pipeline_counts_round_trips_and_compares(lcn, redis_url: str) -> None:  # type: ignore[no-untyped-def]
    result = lcn("bench", "pipeline", "--jobs", "400", "--json")
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    ours = report["lcn"]
    assert ours["completed"] == ours["jobs"] == 400
    # Submit, claim, complete: three round trips a job, or a fiftieth of that in batches.
    assert ours["unbatched"]["roundTripsPerJob"] <= 4
    assert ours["roundTripsPerJob"] <= 4 / ours["batch"] * 2
    assert report["rq"]["jobsPerSecond"] > 0 and report["arq"]["jobsPerSecond"] > 0
    # INFO commandstats deltas: every command a job cost, those inside scripts included.
    for run in (ours, ours["unbatched"]):
        assert abs(run["redisCommandsPerJob"] - sum(run["commandsPerJob"].values())) < 0.05
        assert run["callsInScriptsPerJob"] > 0 and "evalsha" in run["commandsPerJob"]
    assert report["arq"]["redisCommandsPerJob"] > 0
    client = redis.Redis.from_url(redis_url)
    assert not list(client.scan_iter(match="lcn:{bench-*"))
    assert not list(client.scan_iter(match="rq:job:*")) and not list(
        client.scan_iter("rq:results:*")
    )


def test_bench_swarm_compares_agent_counts(lcn) -> None:  # type: ignore[no-untyped-def]
    result = lcn(
        "bench",
        "swarm",
        "--agents",
        "1,3",
        "--jobs",
        "3",
        "--wait",
        "0.05",
        "--runs",
        "2",
        "--json",
    )
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert [r["agents"] for r in report["results"]] == [1, 3]
    assert report["results"][0]["speedup"] == 1.0
    sandbox = report["sandbox"]
    assert sandbox["available"] and sandbox["runs"] == 2
    for measured in sandbox["languages"].values():
        assert measured["overheadMs"] == measured["sandbox"] - measured["bare"]


def test_bench_endurance_samples_every_tenth(lcn, redis_url: str) -> None:  # type: ignore[no-untyped-def]
    result = lcn("bench", "endurance", "--jobs", "2000", "--json")
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert {"jobs", "samples", "memoryGrowth", "checkGrowth", "jobsPerSecond"} <= set(report)
    assert report["jobs"] >= 2000
    samples = report["samples"]
    assert len(samples) == 10
    for sample in samples:
        assert set(sample) == {
            "jobs",
            "redisUsedBytes",
            "archiveBytes",
            "ledgerCheckMs",
            "submitP99Ms",
        }
        assert sample["redisUsedBytes"] > 0 and sample["ledgerCheckMs"] > 0
    assert [s["jobs"] for s in samples] == sorted(s["jobs"] for s in samples)
    assert samples[0]["jobs"] >= 200
    assert report["memoryGrowth"] > 0 and report["checkGrowth"] > 0
    assert not list(redis.Redis.from_url(redis_url).scan_iter(match="lcn:{bench-*"))
