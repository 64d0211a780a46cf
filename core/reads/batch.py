"""Named reads batched into one pipeline.

A read is registered under a name with its commands (each under a name of its own) and a
decoder; the batch sends every command of every read in one pipelined round trip and hands each
decoder its replies by command name, so no reader counts positions in a reply list. Script
reads run by EVALSHA; after a Redis restart the shared reload (`scripts.send_reloading_scripts`)
loads them again."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Generic, TypeVar, cast

from core.store import scripts
from core.store.connection import Store

T = TypeVar("T")
Replies = Mapping[str, Any]


@dataclass(frozen=True)
class Command:
    """One Redis command; `script` names the Lua script it runs when it is an EVALSHA. An
    `optional` command's error (a user not allowed INFO, say) goes to its decoder as the reply
    instead of failing the whole batch."""

    args: tuple[Any, ...]
    script: str | None = None
    optional: bool = False


def command(*args: Any, optional: bool = False) -> Command:
    return Command(args, optional=optional)


def script(store: Store, name: str, keys: list[str], *args: Any) -> Command:
    """EVALSHA of script `name` with the pool's prefix as ARGV[1], as every script expects."""
    return Command(
        ("EVALSHA", scripts.sha_of(name), len(keys), *keys, store.keys.prefix, *args), name
    )


@dataclass(frozen=True)
class Read(Generic[T]):
    """A named read: its commands by name, and how their replies become a value."""

    name: str
    commands: Mapping[str, Command]
    decode: Callable[[Replies], T]


def hmget(key: str, fields: tuple[str, ...]) -> Command:
    return command("HMGET", key, *fields)


def by_field(fields: tuple[str, ...], reply: list[Any]) -> dict[str, Any]:
    """An HMGET reply keyed by the fields it asked for."""
    return dict(zip(fields, reply, strict=True))


class Results:
    """Each read's decoded value, by the read's name."""

    def __init__(self, values: dict[str, Any]) -> None:
        self._values = values

    def __getitem__(self, read: Read[T]) -> T:
        return cast(T, self._values[read.name])

    def get(self, read: Read[T] | None) -> T | None:
        return None if read is None else self[read]


class ReadBatch:
    """Reads to send together; `run` sends them in one pipelined round trip."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self._reads: dict[str, Read[Any]] = {}

    def add(self, read: Read[T]) -> Read[T]:
        if read.name in self._reads:
            raise ValueError(f"a read named {read.name!r} is already in this batch")
        self._reads[read.name] = read
        return read

    @property
    def commands(self) -> int:
        """How many commands `run` sends: what a poll reports it cost."""
        return sum(len(read.commands) for read in self._reads.values())

    async def run(self) -> Results:
        sent = [
            (read.name, part, command)
            for read in self._reads.values()
            for part, command in read.commands.items()
        ]

        async def send() -> list[Any]:
            async with self.store.redis.pipeline(transaction=False) as pipe:
                for _, _, command in sent:
                    pipe.execute_command(*command.args)
                replies: list[Any] = await pipe.execute(raise_on_error=False)
            return replies

        replies = await scripts.send_reloading_scripts(
            self.store.redis, [command.script for _, _, command in sent], send
        )
        for (_, _, command), reply in zip(sent, replies, strict=True):
            if isinstance(reply, Exception) and not command.optional:
                raise reply
        by_read: dict[str, dict[str, Any]] = {name: {} for name in self._reads}
        for (name, part, _), reply in zip(sent, replies, strict=True):
            by_read[name][part] = reply
        return Results({name: read.decode(by_read[name]) for name, read in self._reads.items()})


async def read(store: Store, one: Read[T]) -> T:
    """A single named read in its own round trip."""
    batch = ReadBatch(store)
    batch.add(one)
    return (await batch.run())[one]
