"""Key names are made in one place: core/store/keys.py. Its templates give both the Python `Keys`
methods and the Lua key functions `K` the loader puts ahead of every script."""

from __future__ import annotations

import json
import re
from pathlib import Path

from core.store import Keys, Store
from core.store.keys import TEMPLATES, lua_include, template_fields

ROOT = Path(__file__).resolve().parent.parent
NOT_KEYS = {"pool", "prefix", "every_key"}


def python_key(keys: Keys, name: str, args: list[str]) -> str:
    made = getattr(keys, name)
    return str(made(*args) if callable(made) else made)


def test_every_template_has_one_keys_method_and_back() -> None:
    public = {n for n in dir(Keys) if not n.startswith("_")} - NOT_KEYS
    assert public == set(TEMPLATES)


async def test_the_lua_key_functions_build_the_python_names(store: Store) -> None:
    calls = [[n, [f"{field}-{i}" for i, field in enumerate(template_fields(n))]] for n in TEMPLATES]
    script = (
        lua_include()
        + "\nlocal out = {}"
        + "\nfor i, c in ipairs(cjson.decode(ARGV[2])) do out[i] = K[c[1]](unpack(c[2])) end"
        + "\nreturn out"
    )
    built = await store.redis.eval(script, 0, store.keys.prefix, json.dumps(calls))
    assert [b.decode() for b in built] == [python_key(store.keys, n, a) for n, a in calls]


def test_a_key_name_is_the_prefix_and_the_template() -> None:
    keys = Keys("p")
    assert keys.job("j1") == "lcn:{p}:job:j1"
    assert keys.nodes_all == "lcn:{p}:nodes:all"
    assert keys.node_queue("n1", "code") == "lcn:{p}:nodequeue:n1:code"
    assert keys.node_by_address("0xAB") == "lcn:{p}:node-by-address:0xab"
    assert keys.records_with_status("payouts", "sent") == "lcn:{p}:payouts:status:sent"


# A key built by hand: from the prefix (`P .. 'job:'`, `ARGV[1] .. …`, `prefix + …`,
# f"{store.keys.prefix}…", an alias `P = keys.prefix`, a literal "lcn:…"), or a suffix glued
# onto another key (`keys.node(x) + ":jobs"`, `node_key .. ':jobs'`).
LUA_BY_HAND = re.compile(
    r"\bP\s*\.\.|ARGV\[1\]\s*\.\.|'lcn:|\.\.\s*':(jobs|history|shards|partials)'"
)
PY_BY_HAND = re.compile(
    r"keys\.prefix\s*\+|\{[\w.]*keys\.prefix\}|=\s*[\w.]*keys\.prefix\s*$"
    r"|\bP\s*\+\s*[\"']|\{P\}|[\"']lcn:|(\)|key)\s*\+\s*[\"']:|f\"\{[\w.]*(key|keys\.\w+)\([^)]*\)\}:",
    re.M,
)


def test_no_lua_script_builds_a_key_by_hand() -> None:
    lua = sorted((ROOT / "core" / "store" / "lua").rglob("*.lua"))
    assert lua
    found = [
        f"{path.relative_to(ROOT)}:{n}: {line.strip()}"
        for path in lua
        for n, line in enumerate(path.read_text().splitlines(), 1)
        if not line.lstrip().startswith("--") and LUA_BY_HAND.search(line)
    ]
    assert found == []


def test_no_python_module_but_keys_builds_a_key_by_hand() -> None:
    modules = [*(ROOT / "core").rglob("*.py"), *(ROOT / "console").rglob("*.py")]
    found = [
        f"{path.relative_to(ROOT)}: {match[0]}"
        for path in modules
        if path != ROOT / "core" / "store" / "keys.py"
        for match in PY_BY_HAND.finditer(path.read_text())
    ]
    assert found == []
